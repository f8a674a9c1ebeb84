"""Collection-message templates in Chinese and English: lawful reminders and abusive ones by category.

The categories follow the message screener's (issue 4): threat, insult, false_authority, disclosure,
exposure_threat, privacy_exposure, goods_mention, unfair_demand. Slots: {name} {amount} {days}
{lender} {goods} {idtail}.
"""

from __future__ import annotations

LAWFUL_ZH = (
    "{name}您好，您在{lender}的借款已逾期{days}天，应还{amount}元，请尽快还款，如有困难可申请分期。",
    "【{lender}】尊敬的客户，您的账单已逾期{days}天，请及时处理，避免产生更多逾期费用。",
    "{name}先生/女士，您的借款{amount}元已到期未还，可在APP内还款或联系客服协商还款计划。",
    "【{lender}】温馨提示：您本期应还{amount}元尚未还清，如已还款请忽略本短信。",
    "您好，这里是{lender}客服，您的借款已逾期，我们可以为您提供延期或分期方案，请回电。",
    "{name}您好，根据合同约定，逾期信息可能按规定报送征信机构，请尽快处理欠款{amount}元。",
)
LAWFUL_EN = (
    "Hello {name}, your {lender} loan is {days} days past due; {amount} yuan is owed. Please pay or ask us for a plan.",
    "{lender}: your payment of {amount} yuan is overdue. If you have already paid, please ignore this message.",
    "Dear {name}, we may report the account to a credit bureau as the contract allows. Call us to discuss options.",
    "Reminder from {lender}: your instalment is {days} days late. Reply to arrange a payment plan.",
)
ABUSIVE_ZH: dict[str, tuple[str, ...]] = {
    "threat": (
        "{name}你再不还钱，我们明天就上门，后果自负！",
        "欠{amount}元还敢躲？小心你家里人出门的安全。",
    ),
    "insult": (
        "{name}你这个老赖，借钱不还的垃圾，要不要脸？",
        "欠钱不还的废物，你全家都是骗子。",
    ),
    "false_authority": (
        "我是市公安局经侦大队的，你涉嫌恶意欠款{amount}元，已经立案，今天不还就逮捕你。",
        "法院已经对你发出传票，你已被列入全国征信黑名单，{days}天内不还将被拘留。",
    ),
    "disclosure": (
        "你好，{name}在{lender}欠款{amount}元逾期{days}天，你是他的家人，请督促他还钱。",
        "请转告你的同事{name}，他在我们平台欠了{amount}元一直不还。",
    ),
    "exposure_threat": (
        "{name}今天不还款，我们就爆你通讯录，让你所有亲戚朋友都知道你是老赖。",
        "再不还就把你的欠款信息发到你们公司群和朋友圈。",
    ),
    "privacy_exposure": ("{name}，身份证尾号{idtail}，欠款{amount}元，地址我们都知道，别想躲。",),
    "goods_mention": ("{name}，你分期买的{goods}还没还清，欠{amount}元，赶紧还。",),
    "unfair_demand": (
        "{name}今天必须还清{amount}元，另加500元上门费，没钱就去别的平台借了还。",
        "逾期处理费要另外交300元，不交不能协商，可以先找网贷借钱还上。",
    ),
}
ABUSIVE_EN: dict[str, tuple[str, ...]] = {
    "threat": ("Pay the {amount} yuan today, {name}, or we will come to your house and you will regret it.",),
    "insult": ("You are a worthless deadbeat, {name}. Pay up, you scum.",),
    "false_authority": ("This is the police: a warrant for your arrest has been issued over your {amount} yuan debt.",),
    "disclosure": ("Tell your colleague {name} that he owes {lender} {amount} yuan and must pay.",),
    "exposure_threat": (
        "If you don't pay, {name}, we will message all your contacts and your employer about your debt.",
    ),
    "privacy_exposure": ("{name}, ID ending {idtail}, owes {amount} yuan. We know where you live.",),
    "goods_mention": ("{name}, you still owe {amount} yuan for the {goods} you bought. Pay now.",),
    "unfair_demand": ("Pay {amount} yuan plus a 500 yuan collection fee today; borrow from another app if you must.",),
}
GOODS_ZH = ("苹果手机", "笔记本电脑", "电动车", "美容项目", "游戏机", "名牌包")
GOODS_EN = ("iPhone", "laptop", "e-bike", "beauty treatment", "game console", "designer handbag")
