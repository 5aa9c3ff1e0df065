"""The default call scripts and disclosures: CN, US and UK, in zh-hans and en, frozen here as they were
when seeded (later changes to outreach.call_scripts.DEFAULT_CALL_SCRIPTS do not rewrite history; edit the
scripts in the admin). Existing rows are left as they are."""

from django.db import migrations

SCRIPTS_V1 = [
    {
        "pack": "CN",
        "stage": "",
        "language": "zh-hans",
        "title": "催收电话开场（表明身份）",
        "body": "先核实对方是借款人{borrower_name}本人（姓名、身份证号后四位），再说明欠款情况；对方不是本人时，只说明来电单位，不得透露任何欠款信息。语气平和，不得威胁、辱骂。",
        "disclosures": [
            ("identity", "您好，我是{firm_name}的催收员{collector_name}。", True),
            ("on_behalf_of", "我受{platform_name}委托，就您在{platform_name}的借款与您联系。", True),
            ("debt", "您的借款{loan_ref}已逾期{dpd}天，逾期金额{amount}{currency}。", True),
            ("recording", "为保障双方权益，本次通话将被录音。", False),
        ],
    },
    {
        "pack": "CN",
        "stage": "",
        "language": "en",
        "title": "Collection call opening (identify yourself)",
        "body": "Verify that you are speaking with the borrower {borrower_name} (name, last four digits of the "
        "national id) before you mention the debt; to anyone else say only who is calling, nothing about a "
        "debt. Calm tone, no threats or insults.",
        "disclosures": [
            ("identity", "Hello, my name is {collector_name}, a collector with {firm_name}.", True),
            ("on_behalf_of", "I am calling on behalf of {platform_name} about your loan with {platform_name}.", True),
            ("debt", "Your loan {loan_ref} is {dpd} days past due; the overdue amount is {amount} {currency}.", True),
            ("recording", "This call is recorded to protect both of us.", False),
        ],
    },
    {
        "pack": "CN",
        "stage": "pre_due",
        "language": "zh-hans",
        "title": "还款提醒电话开场",
        "body": "温和提醒：先核实对方是借款人{borrower_name}本人，再提醒还款日；对方不是本人时不得透露借款信息。",
        "disclosures": [
            ("identity", "您好，我是{firm_name}的客服{collector_name}。", True),
            ("on_behalf_of", "我受{platform_name}委托，就您在{platform_name}的借款与您联系。", True),
            ("debt", "您的借款{loan_ref}即将到期，请按时还款，保持良好信用记录。", True),
            ("recording", "为保障双方权益，本次通话将被录音。", False),
        ],
    },
    {
        "pack": "CN",
        "stage": "pre_due",
        "language": "en",
        "title": "Payment reminder call opening",
        "body": "A gentle reminder: verify that you are speaking with the borrower {borrower_name} before you "
        "mention the due date; say nothing about the loan to anyone else.",
        "disclosures": [
            ("identity", "Hello, my name is {collector_name}, customer service at {firm_name}.", True),
            ("on_behalf_of", "I am calling on behalf of {platform_name} about your loan with {platform_name}.", True),
            ("debt", "Your loan {loan_ref} falls due soon; please pay on time to keep a good credit record.", True),
            ("recording", "This call is recorded to protect both of us.", False),
        ],
    },
    {
        "pack": "US",
        "stage": "",
        "language": "en",
        "title": "Collection call opening (mini-Miranda)",
        "body": "Confirm you are speaking with {borrower_name} before you say anything about the debt. If someone "
        "else answers, give only your name and ask when to call back: never mention a debt.",
        "disclosures": [
            ("identity", "My name is {collector_name}, calling from {firm_name} for {platform_name}.", True),
            (
                "mini_miranda",
                "This is a communication from a debt collector. This is an attempt to collect a debt and "
                "any information obtained will be used for that purpose.",
                True,
            ),
            ("recording", "This call may be recorded.", False),
        ],
    },
    {
        "pack": "US",
        "stage": "",
        "language": "zh-hans",
        "title": "催收电话开场（债务催收声明）",
        "body": "先确认对方是{borrower_name}本人，再谈及欠款；对方不是本人时，只说自己的姓名并询问回电时间，不得提及欠款。",
        "disclosures": [
            ("identity", "我是{collector_name}，代表{platform_name}从{firm_name}来电。", True),
            ("mini_miranda", "这是债务催收员的来电。本次来电旨在催收债务，所获得的任何信息都将用于此目的。", True),
            ("recording", "本次通话可能被录音。", False),
        ],
    },
    {
        "pack": "UK",
        "stage": "",
        "language": "en",
        "title": "Collection call opening",
        "body": "Confirm you are speaking with {borrower_name} before you discuss the account. Explain the purpose "
        "of the call plainly; if the customer is in difficulty, offer to talk about a repayment plan.",
        "disclosures": [
            ("identity", "My name is {collector_name} and I am calling from {firm_name}.", True),
            (
                "purpose",
                "I am calling about your account {loan_ref} with {platform_name}, which is in arrears, to "
                "agree how it can be repaid.",
                True,
            ),
            ("recording", "Calls are recorded for training and quality purposes.", False),
        ],
    },
    {
        "pack": "UK",
        "stage": "",
        "language": "zh-hans",
        "title": "催收电话开场",
        "body": "先确认对方是{borrower_name}本人，再谈及账户；清楚说明来电目的；借款人还款困难时，主动提出协商还款计划。",
        "disclosures": [
            ("identity", "我是{collector_name}，从{firm_name}来电。", True),
            ("purpose", "我就您在{platform_name}的账户{loan_ref}来电，该账户已逾期，想与您商定还款方式。", True),
            ("recording", "为培训和质检，通话将被录音。", False),
        ],
    },
]


def seed(apps, schema_editor):
    CallScript = apps.get_model("outreach", "CallScript")
    Disclosure = apps.get_model("outreach", "Disclosure")
    for spec in SCRIPTS_V1:
        script, made = CallScript.objects.get_or_create(
            pack=spec["pack"],
            stage=spec["stage"],
            language=spec["language"],
            defaults={"title": spec["title"], "body": spec["body"]},
        )
        if made:
            Disclosure.objects.bulk_create(
                Disclosure(script=script, code=code, text=text, required=required, position=i)
                for i, (code, text, required) in enumerate(spec["disclosures"])
            )


class Migration(migrations.Migration):
    dependencies = [("outreach", "0009_call_scripts")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
