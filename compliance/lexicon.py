"""The maintained zh + en lexicon behind content screening (compliance.screening).

An entry is a phrase, or a pattern of parts with words between them: parts are separated by `...`
(up to WINDOW["en"] words or WINDOW["zh"] characters between them, within one sentence; `...3` sets a
narrower window) and a part lists its alternatives with `/`. So "borrow/borrowing ... to repay/to pay"
matches "borrow some money from your friends to repay us", and "找/向/跟/去 ...4 借 ... 还" matches
"找你朋友借点钱还上". English entries match whole words; Chinese entries match across spaces and
punctuation inside a part, traditional characters folded to simplified (compliance.screening.T2S).
Latin-letter entries in a Chinese list (pinyin initials such as "tmd") match as English words.

Categories in NEGATABLE ignore a match that a negation governs ("we will not take legal action",
"我们不会联系你的家人"); insults and obscenity are never excused by one.

Keep Chinese parts specific enough to avoid common compounds (杀了你, not 杀, which would hit 杀毒), and
check every change against the corpus (`manage.py screening_corpus`, held above 0.95 precision and recall
by tests/compliance/test_screening_corpus.py). Bump LEXICON_VERSION on every change: decisions record it,
and compliance_replay reports decisions whose verdict a change would alter.
"""

from __future__ import annotations

LEXICON_VERSION = 2

# Words (en) or characters (zh) allowed between two parts of a pattern, when the entry does not say.
WINDOW: dict[str, int] = {"en": 6, "zh": 8}

# Categories where a negation governing the match excuses it (see compliance.screening).
NEGATABLE = frozenset(
    {"threat", "impersonation", "public_exposure", "contacts", "borrow_to_pay", "legal_action", "pressure"}
)
NEGATORS: dict[str, list[str]] = {
    # "t" is what is left of n't once punctuation is gone (won't → won t)
    "en": ["not", "never", "no", "t", "cannot", "nor", "without"],
    "zh": [
        "不会", "绝不", "决不", "不得", "并不", "不可能", "没有", "从不", "不再", "无意", "不打算",
        "不要求", "不建议", "不鼓励", "不需要", "无需", "不用", "切勿", "请勿", "不要", "别",
    ],
}  # fmt: skip
# Words that start a new clause: a negation before them does not govern what follows.
CLAUSE_BREAKERS: dict[str, list[str]] = {
    "en": ["we", "i", "they", "he", "she", "if", "or", "otherwise", "then", "and", "but", "unless"],
    "zh": ["我们", "我", "他们", "就", "否则", "如果", "要是", "但", "但是", "不然"],
}
NOT_A_NEGATION: dict[str, list[str]] = {"en": ["why"], "zh": ["为什么", "为何", "何不"]}

_YOUR_CIRCLE = (
    "your family/your relatives/your employer/your boss/your manager/your friends/your colleagues/"
    "your coworkers/your co workers/your neighbors/your neighbours/your contacts/your workplace/your children/"
    "your kids/your parents/your spouse/your wife/your husband/your partner/everyone you know/"
    "your references/your emergency contacts"
)
_TA_CIRCLE = (
    "家人/家里人/家属/父母/爸妈/亲戚/亲友/亲朋好友/朋友/同事/领导/单位/公司/老板/邻居/孩子/学校/"
    "老婆/老公/配偶/爱人/紧急联系人/通讯录/联系人"
)

# Categories that make a message prohibited for every borrower (rule prohibited_content).
PROHIBITED: dict[str, dict[str, list[str]]] = {
    "threat": {
        "en": [
            "kill/hurt/harm/beat/beat up/stab/shoot/burn ...2 you/your/yourself",
            "break ...2 legs/arms/neck/bones/kneecaps/fingers",
            "know where ...3 you/your family/your kids/your children ...2 live/work/go to school/sleep",
            "you will regret/you ll regret/you will be sorry/you ll be sorry",
            "or else",
            "watch your back",
            "burn your",
            "come/go/turn up/show up ...3 your house/your home/your door/your doorstep ...4 and/if/with",
            "make your life hell/make your life a living hell/make your life miserable",
            "something/things ...3 bad/terrible/nasty/ugly ...3 happen",
            "not be safe/won t be safe/never be safe/no longer be safe",
            "pay for this/pay for it ...3 one way or another",
            "teach you a lesson",
        ],
        "zh": [
            "杀了你",
            "杀你全家",
            "弄死你",
            "打死你",
            "砍死你",
            "废了你",
            "打断你",
            "打/砍/捅/弄/整/揍 ...3 死/残/废/断 ...3 你",
            "后果自负",
            "后果 ...3 不堪设想",
            "要你好看",
            "让/叫 ...3 你 ...4 好看/后悔/生不如死/吃不了兜着走",
            "你等着瞧",
            "走着瞧",
            "小心你的",
            "小心点你",
            "最好 ...3 小心/当心",
            "上门 ...4 闹/砸/泼/堵",
            "泼油漆",
            "泼粪",
            "让你全家",
            "不得好死",
            "不会有好下场/没有好下场/没好下场",
            "找人 ...4 收拾/教训/对付/弄 ...2 你",
            "出门小心",
            "晚上走路小心",
        ],
    },
    "insult": {
        "en": [
            "idiot",
            "stupid",
            "moron",
            "loser",
            "deadbeat",
            "scum",
            "scumbag",
            "bitch",
            "bastard",
            "worthless",
            "pathetic",
            "you/you re/you are ...3 liar/thief/cheat/crook/trash/garbage/parasite/leech",
            "piece of trash/piece of garbage/piece of crap",
            "dumb",
            "retard",
            "lowlife",
            "shame on you",
        ],
        "zh": [
            "傻逼",
            "傻b",
            "煞笔",
            "sb",
            "sb东西",
            "废物",
            "垃圾人",
            "人渣",
            "老赖",
            "不要脸",
            "王八蛋",
            "混蛋",
            "去死",
            "狗东西",
            "畜生",
            "贱人",
            "你 ...3 骗子/无赖/垃圾/赖皮/穷鬼",
            "白痴",
            "蠢货",
            "脑残",
            "智障",
            "猪脑子",
            "败类",
            "窝囊废",
            "丢人现眼",
            "死皮赖脸",
            "没脸没皮",
        ],
    },
    "obscenity": {
        "en": [
            "fuck",
            "fucking",
            "fucked",
            "fucker",
            "f ck",
            "shit",
            "sh t",
            "bullshit",
            "cunt",
            "asshole",
            "motherfucker",
            "dick",
            "piss off",
            "wtf",
            "stfu",
            "screw you",
        ],
        "zh": [
            "操你",
            "草你",
            "肏",
            "他妈的",
            "你妈的",
            "妈的",
            "草泥马",
            "日你",
            "屌",
            "滚蛋",
            "卧槽",
            "我操",
            "狗日的",
            "tmd",
            "nmsl",
            "cnm",
            "wcnm",
            "nmb",
            "mlgb",
            "qnmd",
            "rnm",
        ],
    },
    "impersonation": {
        "en": [
            "police",
            "arrest",
            "arrested",
            "warrant",
            "jail",
            "jailed",
            "prison",
            "sheriff",
            "fbi",
            "criminal charges",
            "criminal case",
            "court officer",
            "court order against you",
            "from the court",
            "this is the court",
            "government agency",
            "federal agent",
            "on behalf of the government",
            "law enforcement",
            "officer of the court",
            "bailiff",
            "calling from/on behalf of/this is/we are ...2 the court/the police/the sheriff/the government/the irs",
            "you/you ll/you will ...4 be prosecuted/face prosecution/go to prison/go to jail",
        ],
        "zh": [
            "公安",
            "警察",
            "警方",
            "派出所",
            "公检法",
            "法院传票",
            "法院通知",
            "法官",
            "执行局",
            "检察院",
            "逮捕",
            "拘留",
            "坐牢",
            "蹲监狱",
            "进监狱",
            "刑事责任",
            "刑事立案",
            "立案侦查",
            "通缉",
            "政府工作人员",
            "政府部门通知",
            "网警",
            "经侦",
            "传唤",
            "抓你",
            "我们是/这里是/我是 ...3 法院/公安/检察院/警方/政府",
            "移交 ...4 公安/司法机关/警方/检察院",
        ],
    },
    "public_exposure": {
        "en": [
            "expose ...3 you/your",
            "post/publish/share/put/spread ...4 your name/your photo/your picture/your face/your details/your debt/"
            "your information ...4 online/internet/facebook/social media/twitter/instagram/whatsapp/tiktok/"
            "newspaper/neighbourhood/neighborhood",
            "post/publish/share/put/spread ...3 about you/about your debt ...3 online/social media/internet/facebook",
            "tell everyone",
            "wall of shame",
            "public list",
            "name and shame",
            "everyone will know",
            "put your name",
            "shame you",
        ],
        "zh": [
            "曝光",
            "公开你",
            "发朋友圈",
            "发到朋友圈",
            "大字报",
            "上黑名单",
            "让所有人知道",
            "公示你",
            "发到网上",
            "挂到网上",
            "人肉",
            "张贴 ...4 你/照片/头像/欠款/名字",
            "全网 ...3 通报/曝光/公示/通缉",
            "把你 ...8 发/挂/贴/传/公布 ...4 朋友圈/网上/微博/抖音/群里/小区/村里/公司群",
            "发/挂/贴/传/公布 ...3 你的 ...6 朋友圈/网上/微博/抖音/群里/小区/村里",
        ],
    },
    "contacts": {
        "en": [
            "call/contact/tell/inform/notify/visit/text/email/message/reach out to/speak to/talk to/ring ...3 "
            + _YOUR_CIRCLE,
            "address book",
            "your contacts list/your contact list",
        ],
        "zh": [
            "通讯录",
            "联系/通知/告诉/打给/打电话给/告知/发给/短信给/上门找/打到 ...4 " + _TA_CIRCLE,
            "让/叫 ...4 " + _TA_CIRCLE + " ...4 知道/还/替你还/帮你还",
        ],
    },
    "borrow_to_pay": {
        "en": [
            "borrow/borrowing/get a loan/take out a loan/take out another loan/new loan/payday loan/cash advance/"
            "loan shark ... to pay/to repay/and pay/and repay/to cover/to clear/to settle/and settle/and clear/pay us/"
            "repay us/pay off",
            "ask/get ...4 friends/family/relatives/parents/colleagues ...4 for money/for a loan/to lend you/"
            "to borrow/lend you",
            "take out/apply for/get ...2 another loan/a payday loan/a new loan/a cash advance/a title loan",
            "use/max out/put it on ...3 credit card ...5 to pay/to repay/to clear/to settle/and pay/and clear/and settle",
            "borrow from",
            "borrow money",
        ],
        "zh": [
            "以贷养贷",
            "借钱还",
            "借新还旧",
            "拆东墙补西墙",
            "网贷还",
            "套现",
            "找朋友借",
            "找亲戚借",
            "贷款还债",
            "办信用卡还",
            "撸口子",
            "找/向/跟/去/问/找人/让 ...6 借 ... 还/还款/还上/还清/补上",
            "借钱/借点钱/借些钱/借笔钱/借一笔/借一下/凑钱/筹钱 ... 还/还款/还上/还清/还给",
            "用/拿/刷/通过/办/申请/去 ...3 信用卡/花呗/借呗/白条/网贷/高利贷/小额贷/其他平台/别的平台 ...6 还/还款/还上/还清/套",
        ],
    },
}

# Words that reveal a debt to a third party (rule third_party_debt_disclosure).
DEBT_DISCLOSURE: dict[str, list[str]] = {
    "en": [
        "debt",
        "debts",
        "overdue",
        "loan",
        "loans",
        "owe",
        "owes",
        "owed",
        "owing",
        "collection",
        "collections",
        "collector",
        "delinquent",
        "repay",
        "repayment",
        "arrears",
        "default",
        "defaulted",
        "past due",
        "balance due",
        "outstanding balance",
        "payment due",
        "credit card bill",
    ],
    "zh": [
        "欠款",
        "欠钱",
        "欠债",
        "债务",
        "逾期",
        "催收",
        "还款",
        "借款",
        "贷款",
        "还钱",
        "欠费",
        "账单",
        "未还",
        "拖欠",
        "网贷",
        "分期",
    ],
}

# Words that threaten legal action (rule time_barred_threat, once the debt is time-barred).
LEGAL_ACTION: dict[str, list[str]] = {
    "en": [
        "sue",
        "sued",
        "suing",
        "lawsuit",
        "court",
        "legal action",
        "litigation",
        "judgment",
        "judgement",
        "legal proceedings",
        "take you to court",
        "file a claim/file a lawsuit/file suit",
    ],
    "zh": ["起诉", "诉讼", "法院", "法律行动", "法律程序", "打官司", "判决", "告你"],
}

# A demand to pay everything at once, in an unreasonably short time, or by borrowing (UK pressure_content).
PRESSURE: dict[str, list[str]] = {
    "en": [
        "pay in full",
        "full amount",
        "full balance",
        "entire balance",
        "everything you owe",
        "immediately",
        "right now",
        "today or",
        "by tomorrow",
        "within 24 hours",
        "within 48 hours",
        "within 24 hrs",
        "within the hour",
        "final chance",
        "last chance",
        "borrow",
        "payday loan",
        "credit card to pay",
    ],
    "zh": [
        "一次性还清",
        "全额还款",
        "全部还清",
        "立即还款",
        "马上还",
        "立刻还",
        "今天之内",
        "今天必须",
        "24小时内",
        "48小时内",
        "最后机会",
        "借钱还",
        "以贷养贷",
    ],
}
