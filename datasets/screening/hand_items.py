"""Hand-written items of the labelled screening set (written for issue 4, not taken from any source)."""

from __future__ import annotations

from typing import Any


def _p(lang: str, text: str, verdict: str, *categories: str, party: str = "debtor") -> dict[str, Any]:
    return {"lang": lang, "text": text, "verdict": verdict, "categories": list(categories), "party": party}


HAND: list[dict[str, Any]] = [
    # Chinese, offending
    _p("zh", "你個老賴，錢不還還敢拉黑我們？明天就去你單位鬧", "block", "insult", "threat"),
    _p("zh", "nmsl，欠钱不还的东西", "block", "insult"),
    _p("zh", "再不还钱，你的裸照就会出现在你所有联系人的手机上", "block", "exposure_threat"),
    _p("zh", "兄弟们已经在你家楼下了，自己看着办", "block", "threat"),
    _p("zh", "我们是XX区人民法院的，你被起诉了，马上会有警察上门", "block", "false_authority"),
    _p("zh", "你这种人就该去死，全家都是骗子", "block", "insult"),
    _p("zh", "今天之内不还，给你通讯录里每个人发短信说你是诈骗犯", "block", "exposure_threat", "insult"),
    _p("zh", "您好，额外的上门费三百元请今天一起转过来", "block", "unfair_demand"),
    _p("zh", "去网贷平台借也好，卖东西也好，今天必须还上", "block", "unfair_demand"),
    _p("zh", "你女儿在实验小学三年级二班对吧？", "block", "threat"),
    _p("zh", "S B，接电话！", "block", "insult"),
    _p("zh", "你欠的钱不还，我们就把你P成通缉令发到你们村群里", "block", "exposure_threat"),
    _p("zh", "老子有的是办法整死你", "block", "threat"),
    _p("zh", "你已被列入央行黑名单，以后坐不了高铁", "block", "false_authority"),
    _p("zh", "你买的那个名牌包还没还钱呢，好意思背？", "review", "goods_mention"),
    _p("zh", "我們已經起訴你了，等着收传票吧", "review", "false_authority"),
    _p("zh", "我们将安排外访人员上门核实情况", "review", "threat"),
    _p("zh", "请你丈夫赶紧把他欠的钱还了", "block", "disclosure", party="designated_contact"),
    _p("zh", "你是他紧急联系人，他欠款三万不还，你得负责", "block", "disclosure", party="designated_contact"),
    _p("zh", "他在我们平台借了钱，逾期好几个月了", "block", "disclosure", party="third_party"),
    _p("zh", "臭 不 要 脸", "block", "insult"),
    _p("zh", "草泥马的还钱", "block", "insult"),
    _p("zh", "不还钱？那就等着坐牢吧", "block", "false_authority"),
    _p("zh", "你的身份證號碼和家庭住址我們都有，你跑不掉", "review", "privacy_exposure"),
    # Chinese, lawful (hard negatives)
    _p("zh", "您的借款已逾期30天，请尽快还款，如有困难可申请分期", "pass"),
    _p("zh", "我们不会上门催收，也不会联系您的通讯录联系人", "pass"),
    _p("zh", "客户说“你们再打电话我就报警”，已按要求暂停外呼", "pass"),
    _p("zh", "如您认为本公司的催收行为有不当之处，可拨打投诉电话或向金融监管部门反映", "pass"),
    _p("zh", "逾期记录会如实报送征信，不存在所谓的黑名单，请放心协商还款", "pass"),
    _p("zh", "您好，我是安信消费金融的工作人员小王，工号1024，来电提醒您本期还款", "pass"),
    _p("zh", "我们已收到您的还款计划申请，审核结果会在三个工作日内通知您", "pass"),
    _p("zh", "您好，请问是李先生吗？我们有他的一个快递需要确认地址", "pass", party="third_party"),
    _p("zh", "本金已还清，剩余罚息我们申请为您减免一半", "pass"),
    _p("zh", "若双方无法协商一致，我司可能依法提起诉讼，这是合同约定的权利", "pass"),
    _p("zh", "麻烦您转告王先生，请他回个电话，谢谢", "pass", party="designated_contact"),
    _p("zh", "您提到孩子生病住院，我们可以为您申请延期三十天", "pass"),
    _p("zh", "请不要相信任何要求您转账到个人账户的信息", "pass"),
    _p("zh", "祝您生活愉快，有任何问题欢迎随时联系我们", "pass"),
    _p("zh", "您逾期的原因我们已记录，主管会在明天与您沟通还款方案", "pass"),
    _p("zh", "根据您的授权，每月15日从尾号6688的银行卡自动扣款", "pass"),
    # English, offending
    _p("en", "You deadbeat, pay or we tell everyone at your church", "block", "insult", "exposure_threat"),
    _p("en", "This is Deputy Miller. There is a warrant out for you over this debt.", "block", "false_authority"),
    _p("en", "We know your daughter goes to Lincoln Elementary.", "block", "threat"),
    _p(
        "en",
        "Pay now or we post your picture with DEADBEAT across it on Instagram",
        "block",
        "exposure_threat",
        "insult",
    ),
    _p("en", "You're a f*cking joke. Pay what you owe.", "block", "insult"),
    _p("en", "Go borrow it from your grandmother, I don't care.", "block", "unfair_demand"),
    _p("en", "A $75 collection fee has been added because you ignored us.", "block", "unfair_demand"),
    _p(
        "en", "Tell your brother he owes us $2,300 and we are done waiting.", "block", "disclosure", party="third_party"
    ),
    _p("en", "Your wife's loan is 90 days late, make her pay.", "block", "disclosure", party="designated_contact"),
    _p("en", "Keep dodging and see what happens to your car.", "block", "threat"),
    _p("en", "i d i o t, answer your phone", "block", "insult"),
    _p("en", "We will take you to court next week.", "review", "false_authority"),
    _p("en", "How's that new iPhone working out while you skip payments?", "review", "goods_mention"),
    # English, lawful (hard negatives)
    _p("en", "We will not call you at work since you asked us not to.", "pass"),
    _p("en", "You said you would pay on Friday; we have noted that promise.", "pass"),
    _p("en", "If you believe you do not owe this debt, you can dispute it in writing.", "pass"),
    _p("en", "We may report the account to a credit bureau as the contract allows.", "pass"),
    _p(
        "en",
        "Please ask Maria to call Summit Credit at (800) 555-0100 regarding a personal business matter.",
        "pass",
        party="third_party",
    ),
    _p("en", "Your payment plan is confirmed: $120 on the 1st of each month.", "pass"),
    _p("en", "We received your hardship request and paused collection for 30 days.", "pass"),
    _p("en", "You cannot be arrested for not paying this debt. Call us to discuss options.", "pass"),
    _p("en", "Good news: your settlement has been accepted and the balance is now $0.", "pass"),
    _p("en", "Call notes: consumer is unhappy but calm; agreed to a callback next Tuesday.", "pass"),
]
