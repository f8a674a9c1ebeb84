"""Text material: complaint sentences (individual and agent templates) and collection messages.

Texts are assembled per row from templates with ``{slot}`` fields; :func:`fill` does it vectorised,
one Arrow concatenation per template.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

import numpy as np
import pyarrow as pa

from lendguard.sim import writer

_SLOT = re.compile(r"\{(\w+)\}")


def fill(templates: Sequence[str], choice: np.ndarray, slots: Mapping[str, pa.Array]) -> pa.Array:
    """Row ``i`` gets ``templates[choice[i]]`` with each ``{slot}`` replaced by ``slots[slot][i]``."""
    n = len(choice)
    pieces: list[pa.Array] = []
    positions: list[np.ndarray] = []
    for t, template in enumerate(templates):
        rows = np.flatnonzero(choice == t)
        if not len(rows):
            continue
        take = pa.array(rows)
        parts: list[pa.Array | str] = []
        for k, chunk in enumerate(_SLOT.split(template)):
            if k % 2 == 0:
                if chunk:
                    parts.append(chunk)
            else:
                parts.append(slots[chunk].take(take))
        if len(parts) == 1 and isinstance(parts[0], str):
            pieces.append(pa.array([parts[0]] * len(rows), pa.string()))
        else:
            pieces.append(writer.cat(*parts) if len(parts) > 1 else parts[0])
        positions.append(rows)
    if not pieces:
        return pa.array([], pa.string())
    order = np.concatenate(positions)
    inverse = np.empty(n, dtype=np.int64)
    inverse[order] = np.arange(n)
    return pa.concat_arrays(pieces).take(pa.array(inverse))


# --- complaints of ordinary borrowers: a header and four freely combined parts ---------------------
COMPLAINT_HEADERS = (
    "本人于{date}在{lender}借款{amount}元，",
    "我在{lender}有一笔{amount}元的借款（{date}放款），",
    "投诉{lender}：我{date}借了{amount}元，",
    "你好，我是{lender}的用户，{date}借款{amount}元，",
)
COMPLAINT_ISSUES = (
    "催收员一天打了十几个电话，",
    "他们打电话给我同事说我欠钱不还，",
    "实际利息和服务费比宣传的高很多，",
    "说好的免息分期实际每期都收手续费，",
    "我已经还款了系统还显示逾期，",
    "自动扣款失败却收了我违约金，",
    "借款时被强制搭售了会员服务，",
    "催收人员说话很难听还威胁我，",
    "我没有授权却被查询了征信，",
    "催收短信发到了我家人的手机上，",
    "晚上十一点多还在打电话催款，",
    "APP里看不到完整的还款计划，",
    "客服一直推脱不给解决，",
    "提前还款还要收高额手续费，",
    "借款合同里的费用和页面显示不一致，",
)
COMPLAINT_DETAILS = (
    "严重影响我的工作和生活。",
    "我的家人也受到了骚扰。",
    "多次联系客服都没有结果。",
    "我觉得这是不合理的收费。",
    "我不是不还，只是最近确实困难。",
    "现在我每天都很焦虑。",
    "我有通话记录和截图可以证明。",
    "这已经是第三次出现这种情况了。",
    "希望监管部门能关注一下。",
    "我对这个平台非常失望。",
    "同事都知道了我借钱的事。",
    "账单金额我算了好几遍都对不上。",
)
COMPLAINT_DEMANDS = (
    "请核实处理。",
    "要求退还多收的费用。",
    "请停止骚扰我的家人和同事。",
    "希望能给个合理的还款方案。",
    "请给我书面答复。",
    "要求平台道歉并整改。",
    "请求减免罚息。",
    "希望尽快处理，谢谢。",
)

# --- agent (反催收) templates: five positions, each a group of interchangeable variants ------------
RING_HEADERS = (
    "本人{name}，身份证尾号{idtail}，于{date}在贵司借款{amount}元。",
    "借款人{name}（身份证后四位{idtail}）{date}在贵司借款{amount}元。",
    "我是{name}，{date}在贵平台借款本金{amount}元，证件尾号{idtail}。",
    "申请人：{name}，借款日期{date}，借款金额{amount}元，身份证尾号{idtail}。",
)
RING_POSITIONS: tuple[tuple[tuple[str, ...], ...], ...] = (
    (  # hardship
        (
            "因疫情影响收入大幅减少，无力按期还款。",
            "受疫情影响收入锐减，目前无法按期还款。",
            "由于疫情收入减少，暂时没有能力按时还款。",
        ),
        (
            "因公司裁员失业至今，暂无还款能力。",
            "本人被公司裁员，至今没有工作，无法还款。",
            "失业在家没有收入，目前还不上。",
        ),
        (
            "家人重病住院花光积蓄，实在无力偿还。",
            "家中老人重病，积蓄全部用于治疗，无力偿还。",
            "因家人生病住院，经济困难，无法偿还。",
        ),
        ("经营的小店倒闭，负债累累。", "个体生意失败，现在负债很多。", "做生意亏损严重，欠下多笔债务。"),
        ("本人身患疾病长期治疗，收入中断。", "本人生病需要长期治疗，没有收入来源。", "因病无法工作，收入来源中断。"),
        (
            "多平台借款以贷养贷，已无力周转。",
            "在多个平台借款拆东墙补西墙，现已无法周转。",
            "借新还旧多年，资金链已经断裂。",
        ),
        ("工资被拖欠半年，生活难以为继。", "单位拖欠工资六个月，生活都成问题。", "半年没有领到工资，基本生活都困难。"),
        (
            "房贷车贷压力过大，收入不足以还款。",
            "背负房贷和车贷，收入不够还款。",
            "每月房贷车贷支出太大，没钱还这笔借款。",
        ),
    ),
    (  # accusation
        (
            "贵司在催收过程中存在暴力催收、骚扰通讯录联系人等违规行为，严重侵害本人合法权益。",
            "贵司催收时有暴力催收和骚扰通讯录联系人的违规行为，侵害了本人合法权益。",
            "贵司存在暴力催收、爆通讯录等违法违规行为，严重侵犯本人权益。",
        ),
        (
            "贵司收取的综合年化费率远超国家规定的24%红线，属于高利贷。",
            "贵司实际年化费率超过24%的法定红线，涉嫌高利放贷。",
            "经计算贵司综合年化成本远高于24%，违反国家规定。",
        ),
        (
            "贵司在放款时强制搭售会员和保险，砍头息问题严重。",
            "放款时被强制购买会员和保险，存在砍头息。",
            "贵司砍头息严重，并强制搭售会员服务和保险产品。",
        ),
        (
            "贵司催收人员冒充公检法威胁本人，言语侮辱。",
            "催收人员冒充法院和公安恐吓本人，并辱骂本人。",
            "贵司催收员假冒公检法人员进行威胁，还有侮辱性语言。",
        ),
        (
            "贵司未经本人同意查询征信并泄露个人信息。",
            "贵司未经授权查询本人征信，还泄露了本人信息。",
            "贵司在本人不知情的情况下查询征信并泄露隐私。",
        ),
        (
            "贵司合同条款不透明，实际费用与宣传严重不符。",
            "贵司借款合同不透明，实际收费与宣传完全不一致。",
            "合同条款含糊，实际费用远高于宣传的费用。",
        ),
        (
            "贵司催收人员每天频繁拨打电话，严重影响本人正常生活。",
            "催收员每天不停打电话，本人正常生活受到严重影响。",
            "贵司每天多次电话轰炸，本人生活被严重打扰。",
        ),
        (
            "贵司将本人欠款信息告知本人亲友和单位，造成严重名誉损害。",
            "贵司把本人欠款的事告诉亲友和工作单位，损害本人名誉。",
            "贵司向本人亲属及单位透露欠款信息，对本人名誉造成严重影响。",
        ),
    ),
    (  # demands
        (
            "现本人要求：一、停止一切催收行为；二、减免全部罚息和违约金；三、协商本金分{n}期还款。",
            "本人要求：停止催收，减免罚息违约金，本金分{n}期偿还。",
            "现要求贵司：1.立即停止催收；2.免除罚息和违约金；3.本金分{n}期归还。",
        ),
        (
            "要求贵司退还多收取的利息和服务费，并重新出具还款计划。",
            "请贵司退还超额收取的利息及服务费，重新制定还款计划。",
            "本人要求退回多收的利息和服务费，并出具新的还款计划。",
        ),
        (
            "本人只认可归还本金，要求贵司停息挂账。",
            "本人只同意归还本金，请贵司停息挂账。",
            "要求停息挂账，本人仅归还本金部分。",
        ),
        (
            "要求贵司出具全部借款合同、还款明细和催收录音。",
            "请贵司提供完整借款合同、还款记录和所有催收录音。",
            "本人要求调取借款合同、还款流水以及催收通话录音。",
        ),
        (
            "要求贵司在三个工作日内给出书面协商方案。",
            "请贵司于三个工作日内书面答复协商方案。",
            "限贵司三个工作日内提供书面还款协商方案。",
        ),
        (
            "要求贵司消除不良征信记录，并赔偿本人精神损失。",
            "请贵司删除不良征信记录并赔偿精神损失。",
            "本人要求撤销征信不良记录，并对精神损害进行赔偿。",
        ),
    ),
    (  # escalation
        (
            "如贵司不予处理，本人将向银保监会、人民银行及互联网金融协会投诉，并保留追究法律责任的权利。",
            "若贵司不处理，本人将向银保监会、人民银行和金融协会投诉，保留追究法律责任的权利。",
            "如不解决，本人将投诉至银保监会、人民银行、互金协会，并保留法律追诉权利。",
        ),
        (
            "否则本人将向公安机关报案并向媒体曝光。",
            "否则本人会去公安机关报案，同时向媒体反映。",
            "不然本人将报警处理并联系媒体曝光。",
        ),
        (
            "逾期未答复，本人将通过12378热线和信访渠道维权。",
            "如逾期不答复，本人将拨打12378并通过信访维护权益。",
            "超期不回复的话，本人会通过12378和信访渠道继续维权。",
        ),
        (
            "本人已保留全部证据，将向法院提起诉讼。",
            "所有证据本人均已保存，准备向法院起诉。",
            "本人已经固定全部证据，将依法向法院提起诉讼。",
        ),
        ("本人将联合其他受害者集体投诉。", "本人会联合其他受害借款人一起投诉。", "将与其他受害用户一起进行集体投诉。"),
    ),
    (  # contact instruction (the agent's tell)
        (
            "后续请联系本人新号码{phone}，不要再拨打原号码。",
            "以后请拨打本人新的联系电话{phone}，原号码已停用。",
            "请通过{phone}与本人联系，原来的号码不再使用。",
        ),
        (
            "本人已全权委托代理人处理此事，请联系{phone}。",
            "此事已委托代理人全权处理，联系电话{phone}。",
            "本人委托的代理人会跟进，电话{phone}。",
        ),
        (
            "有关事宜请发邮件至{email}或致电{phone}。",
            "相关事宜请联系邮箱{email}，电话{phone}。",
            "请通过邮箱{email}或电话{phone}沟通。",
        ),
        (
            "协商请联系{phone}，其他号码一律不接听。",
            "协商事宜只接受{phone}的联系，其他电话不接。",
            "请致电{phone}协商，其他来电本人不再接听。",
        ),
    ),
)

# One template that circulates online and is copied verbatim by unrelated borrowers (a decoy).
POPULAR_TEMPLATE = (
    "尊敬的{lender}：本人{name}于{date}借款{amount}元，现因个人原因暂时无法按期还款，并非恶意拖欠。"
    "根据《民法典》和相关监管规定，特申请延期还款及减免逾期费用，恳请贵司给予协商机会。此致敬礼！"
)
LAW_FIRM_TEMPLATES = (
    "{firm}受{name}委托，就其与{lender}之间{amount}元借款纠纷提出书面意见：{detail}请贵司与本所联系。",
    "我所律师代理{name}（借款{amount}元，{date}）一案，{detail}特此函告，请与{firm}对接。",
)
