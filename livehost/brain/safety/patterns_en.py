"""English attack rules: injection, prompt leak and jailbreak phrasings, and chat-template
delimiters. Each rule names the attack, not a word, so ordinary shop talk passes: "ignore the
noise", "act fast", "the instructions for the shelf", "what's your return policy"."""

from __future__ import annotations

from livehost.brain.safety.rules import rule
from livehost.brain.safety.verdict import Category

INJ, LEAK, JAIL = Category.INJECTION, Category.PROMPT_LEAK, Category.JAILBREAK

_W = r"\W+"  # between two words


def _any(words: str, most: int) -> str:
    """Up to ``most`` of ``words`` (an alternation), each followed by a word break."""
    return rf"(?:(?:{words}){_W}){{0,{most}}}"


_DROP = (
    r"ignore|ignoring|disregard|disregarding|forget|forgetting|bypass|override|overwrite|skip|"
    r"abandon|discard|stop following|stop obeying|do not follow|don'?t follow|do not obey|"
    r"don'?t obey|no longer follow|never mind|nevermind"
)
_FILLER = (
    r"all|any|every|each|the|your|ur|my|of|previous|previously|prior|above|earlier|preceding|"
    r"initial|original|old|former|system|these|those|existing|current|default|safety|given|"
    r"other|whatever|that|this|said|mentioned|and"
)
_RULES = (
    r"instructions?|rules|prompts?|directions|directives|guidelines|programming|constraints|"
    r"restrictions|guardrails|commands|policies|training|persona|limitations|safeguards|context|"
    r"conditioning|moderation"
)
_PRODUCT = (  # "ignore the instructions on the box"
    r"(?!\W+(?:on|for|in|of)\W+(?:the\W+|this\W+|that\W+)?(?:box|pack|package|packaging|label|tag|"
    r"manual|bottle|site|website|page|product|item)\b)"
)

# What to do with the hidden text: show it, say it, give it, or "what is it".
_SHOW = (
    r"print|reveal|show|display|output|repeat|recite|dump|leak|expose|share|paste|echo|copy|"
    r"spell\W+out|type\W+out|write\W+out|write\W+down|write|tell\W+me|tell\W+us|give\W+me|"
    r"give\W+us|send\W+me|list|read\W+out|read\W+me|read|disclose|summari[sz]e|translate|"
    r"describe|explain|quote|what\W*(?:is|are|was|were|s)|whats|let\W+me\W+see|can\W+i\W+see"
)
_HIDDEN = (
    r"system|initial|original|hidden|secret|internal|developer|confidential|underlying|pre|"
    r"starting|operating|above|previous|prior|preceding|real|actual|first|full|complete|exact|"
    r"entire|whole|current|given|own|special|default|core|base"
)
_NOT_SHOP = (  # "your instructions for washing", "your prompt delivery"
    r"(?!\W+(?:for|on|to|about|delivery|shipping|service|response|reply|payment|dispatch)\b)"
)
_SYSTEM_PROMPT = (
    r"system\W*prompt|system\W+message|system\W+instructions|pre\W?prompt|initial\W+prompt|"
    r"meta\W?prompt|hidden\W+prompt|secret\W+prompt|hidden\W+instructions|secret\W+instructions"
)
_WHOLE = "full|entire|whole|complete|exact|original|initial|hidden|secret|real|actual|current|own"
_TO_ME = "me|us|all|of|exactly|verbatim|word for word|again|back|out"
_BECOME = (
    "a|an|the|my|called|named|in|not|going to be|playing|acting as|officially|just|fully|"
    "completely|totally"
)
_YOU = r"(?:you|u)"
_YOU_ARE = r"(?:you\W+are|you\W*re|you\W+r|u\W+r|u\W+are|ur)"
_ROLE = (
    r"ai|a\W?i|assistant|bot|chatbot|model|llm|gpt|chatgpt|character|persona|entity|hacker|"
    r"villain|pirate|girlfriend|boyfriend|wife|husband|slave|servant|grandma|grandmother|granny|"
    r"dan|human|person|admin|administrator|developer|root|jailbroken|unrestricted|unfiltered|"
    r"uncensored|evil|rogue|mode|version"
)
_LIMITS = (
    r"restrictions|filters?|filtering|rules|limits|limitations|censorship|guidelines|morals|"
    r"ethics|safety|boundaries|constraints"
)

INJECTION = (
    rule(INJ, "chat-template delimiter", "words",
         r"<\s*/?\s*(?:system|sys|assistant|user|human|instructions?|prompt|context|s|im_start|"
         r"im_end|endoftext|start_of_turn|end_of_turn|bos|eos)\s*>",
         r"<\|[^|<>]{1,32}\|>", r"\[\s*/?\s*(?:inst|sys|system|assistant|user|human)\s*\]",
         r"<<\s*/?\s*sys\s*>>",
         r"\{\{\s*/?\s*(?:system|sys|instructions?|prompt|user|assistant)\s*\}\}",
         r"#{2,}\s*(?:system|instructions?|assistant|user|human|new\s+instructions|prompt|response)\b",
         r"(?:^|[\n.!?;]\s*|```\s*)(?:system|assistant|sys|developer)\s*(?:prompt\s*)?:",
         r"```\s*(?:system|instructions|prompt)\b",
         r"\b(?:end|begin|start)\W+(?:of\W+)?(?:the\W+)?(?:user|system)\W+(?:input|prompt|message|instructions)\b",
         r"\bend\W+of\W+(?:the\W+)?(?:prompt|input|instructions)\b",
         r"\b(?:begin|start)\W+(?:new\W+)?(?:system\W+)?(?:prompt|instructions)\b"),
    rule(INJ, "asks to drop its instructions", "words",
         rf"\b(?:{_DROP}){_W}{_any(_FILLER, 5)}(?:{_RULES})\b{_PRODUCT}",
         rf"\b(?:forget|ignore|disregard){_W}(?:everything|all(?:\W+of\W+that)?|anything|what){_W}"
         rf"(?:(?:you\W+)?(?:were|was|have\W+been|ve\W+been|are){_W})?"
         r"(?:told|said|instructed|given|taught|programmed|written|above|before|so\W+far)\b",
         r"\b(?:ignore|disregard|forget)\W+(?:all\W+(?:of\W+)?)?(?:the\W+)?(?:above|previous|prior|"
         r"preceding|earlier)(?:\W+(?:text|content|prompt|context))?\W+(?:and\W+)?(?:instead|now|rather)\b",
         r"\b(?:bypass|override|disable|turn\W+off|switch\W+off|deactivate|remove|ignore|lift|drop)\W+"
         r"(?:all\W+(?:of\W+)?)?(?:your|ur)\W+(?:own\W+)?(?:safety\W+|content\W+)?(?:filters?|filtering|"
         r"safeguards|guardrails|restrictions|censorship|moderation|safety(?:\W+(?:settings|features|"
         r"filters|measures|protocols|rules))?)\b"),
    rule(INJ, "gives new instructions", "words",
         r"\b(?:new|updated|real|actual|true|revised|additional|secret|admin|system)\W+(?:instructions?|rules|task|directive|prompt|system\W+prompt)\s*:",
         rf"\byour{_W}(?:new|real|true|actual|only){_W}(?:instructions?|rules|task|role|purpose|goal|objective|job|directive|persona|name){_W}(?:is|are|will\W+be|now)\b",
         r"\b(?:system|admin|administrator|developer|root|sudo|security|emergency|priority|maintenance)\W+(?:override|command|update|notice|instruction)\s*[:!-]",
         r"\b(?:system|admin|developer|sudo|root)\W+override\b"),
    rule(INJ, "dictates what to say", "words",
         r"\brepeat\W+after\W+me\b",
         r"\bsay\W+(?:exactly|verbatim|word\W+for\W+word|the\W+following|after\W+me)\b",
         r"\b(?:start|begin)\W+(?:your|the|each|every)\W+(?:reply|answer|response|message|sentence)\W+with\b"),
)

PROMPT_LEAK = (
    rule(LEAK, "asks for the system prompt", "words",
         rf"\b(?:your|ur|yr|the|this|my|its|their){_W}{_any(_WHOLE, 3)}(?:{_SYSTEM_PROMPT})\b",
         rf"\b(?:{_SHOW}){_W}(?:\w+{_W}){{0,2}}?system\W*prompt\b",
         rf"\b(?:your|ur|yr){_W}{_any(_HIDDEN, 3)}prompts?\b(?!\W+(?:help|attention|answer|action|"
         r"support|reply|replies|response|delivery|shipping|service|payment|dispatch|refund|"
         r"assistance|feedback)\b)",
         rf"\b(?:{_SHOW}){_W}{_any(_TO_ME + '|what', 3)}"
         rf"(?:your|ur|yr){_W}{_any(_HIDDEN, 3)}(?:prompts?|instructions|directives|programming|"
         rf"configuration|config|initial\W+message|rules|guidelines|initiali[sz]ation(?:\W+(?:text|"
         rf"prompt|message))?|(?:setup|startup|boot)\W+(?:text|prompt|message))\b{_NOT_SHOP}",
         rf"\b(?:{_SHOW}){_W}{_any(_TO_ME, 3)}"
         r"(?:your|ur|yr|the)\W+(?:(?:full|complete|exact|entire|whole|real|actual)\W+)?"
         r"(?:system|initial|original|hidden|secret|internal|developer|confidential|underlying|pre|"
         r"starting|operating|above|previous|prior|preceding)\W+(?:\w+\W+)?(?:prompt|instructions|"
         r"directives|rules|guidelines|message|configuration|config|settings|setup|context|text|"
         r"programming|persona)\b"),
    rule(LEAK, "asks for the text above", "words",
         rf"\b(?:{_SHOW}){_W}{_any('me|us|back|out|all|of', 2)}(?:everything|all|anything|the\W+"
         r"(?:(?:whole|entire|full|previous|first|last|exact)\W+)?(?:text|words|message|messages|"
         r"lines?|content|stuff|conversation|sentences?|paragraphs?|instructions)|what(?:\W*s|\W+is|"
         r"\W+was|\W+were)?)\W+(?:(?:you\W+)?(?:(?:were|was|are|is|have\W+been)\W+)?(?:written|said|"
         r"stated|typed|given|told|shown|sent|seen|provided)\W+)?(?:above|before\W+(?:this|my|the\W+"
         r"(?:user|chat|conversation))|prior\W+to\W+(?:this|my)|earlier|preceding|so\W+far|at\W+"
         r"the\W+(?:start|beginning)|in\W+your\W+(?:context|memory|prompt))\b",
         r"\b(?:first|initial|opening|last)\W+(?:\w+\W+)?(?:words?|lines?|sentences?|characters?|"
         r"paragraphs?|tokens?)\W+(?:of|in|from)\W+(?:(?:your|ur)\W+(?:\w+\W+)?(?:prompt|instructions|"
         r"rules|context|system|message)|(?:the|this)\W+(?:system\W+)?(?:prompt|conversation|context))\b",
         r"\b(?:print|repeat|output|copy|echo|recite|dump)\W+(?:me\W+)?(?:all\W+)?(?:of\W+)?the\W+above\b"
         r"(?!\W+(?:price|message|comment|question|link|answer|one|item|product|size|colou?r)\b)"),
    rule(LEAK, "asks what it was told", "words",
         rf"\bwhat{_W}(?:rules|instructions|directives|guidelines|prompts?|orders){_W}(?:were|have|did|"
         rf"had){_W}{_YOU}{_W}(?:been\W+)?(?:given|told|programmed|fed|trained|taught)\b",
         rf"\bwhat{_W}(?:were|was|have|had|did|are){_W}{_YOU}{_W}(?:been\W+|being\W+)?(?:told|"
         r"instructed|programmed|asked\W+to\W+(?:say|do|hide|keep)|ordered|prompted|trained\W+to\W+"
         r"(?:say|hide)|configured|briefed)\b",
         rf"\bwhat{_W}(?:did|do|does){_W}(?:they|(?:your|the){_W}(?:creators?|developers?|makers?|"
         rf"owners?|programmers?|operators?|boss|admins?|masters?)){_W}(?:tell|instruct|program|"
         rf"prompt|ask){_W}{_YOU}\b",
         rf"\bhow{_W}(?:were|are|have){_W}{_YOU}{_W}(?:been\W+)?(?:prompted|programmed|instructed|"
         r"configured)\b"),
    rule(LEAK, "asks for a secret", "words",
         r"\b(?:tell|give|reveal|show|share|leak|say|spell|print|what\W*(?:s|is|are))\W+(?:me\W+|"
         r"us\W+)?(?:the|your|ur)\W+(?:(?:secret|hidden|internal|admin|access|master|confidential)"
         r"\W+)?(?:password|passphrase|passcode|api\W?key|secret\W+(?:code|word|key|phrase|token)|"
         r"access\W+(?:code|token|key)|master\W+key|hidden\W+(?:code|word|message))\b"),
)

JAILBREAK = (
    rule(JAIL, "DAN jailbreak", "cased", r"\bDAN\b", r"\bD\.A\.N\b"),
    rule(JAIL, "DAN jailbreak", "words",
         r"\bdo\W+anything\W+now\b", r"\b(?:dan|stan)\W+(?:mode|prompt|jailbreak)\b"),
    rule(JAIL, "asks for a special mode", "words",
         r"\b(?:developer|dev|god|jailbreak|jailbroken|unrestricted|unfiltered|uncensored|evil|"
         r"opposite|unlocked|chaos|no\W?filters?|no\W?limits?)\W+mode\b",
         r"\bjail\W?br(?:eak|oken|eaking|eaked)\b"),
    rule(JAIL, "tries to switch its role", "words",
         rf"\b{_YOU_ARE}{_W}(?:now|from\W+now\W+on|henceforth){_W}"
         rf"{_any(_BECOME, 3)}"
         rf"(?:(?:evil|unrestricted|unfiltered|uncensored|free|rogue|new|different|jailbroken|dark|bad){_W})?"
         rf"(?:{_ROLE})\b",
         rf"\b{_YOU_ARE}{_W}no\W+longer{_W}(?:an?|bound|restricted|limited|required|just|constrained|subject)\b",
         rf"\bfrom{_W}now{_W}on{_W}{_YOU}{_W}(?:will|must|shall|should|have\W+to|are\W+going\W+to|"
         rf"only|always|never|answer|respond|reply|act|speak|talk|say|obey|are{_W}(?:an?|no\W+longer|"
         r"not|now|free|dan|my))\b",
         r"(?:^|[.!?,;:]\s*|\b(?:please|pls|plz|now|just|ok|okay|i\W+want\W+you\W+to|i\W+need\W+you\W+to|"
         r"you\W+will|you\W+must|you\W+should|you\W*ll|you\W+shall|can\W+you|could\W+you|would\W+you|"
         r"will\W+you|you\W+can|you\W+have\W+to|you\W+are\W+going\W+to|i\W+order\W+you\W+to|"
         r"i\W+command\W+you\W+to)\s+)"
         r"(?:act\W+(?:as|like)|play\W+(?:the\W+|a\W+)?(?:role|part)\W+of)\b",
         rf"\b(?:act|acting|behave|respond|answer|reply|talk|speak|write|pretend){_W}(?:as\W+if|"
         rf"as\W+though|like){_W}{_YOU}\W*(?:are|were|r|re|have|had|can|could)\b",
         rf"\bpretend(?:ing)?{_W}(?:to\W+be|(?:that\W+)?{_YOU}\b|that\W+there|there\W+(?:are|is)\W+no|your\b)",
         r"\brole\W?play(?:ing)?\W+(?:as|with\W+me|a|an|that|where)\b",
         r"\blet'?s\W+(?:do\W+a\W+)?role\W?play\b",
         r"\bstay\W+in\W+character\b", r"\bin\W+character\W+as\b",
         r"\b(?:simulate|emulate|impersonate)\W+(?:(?:a|an|the|my)\W+)?(?:\w+\W+)?(?:ai|chatbot|"
         r"assistant|model|terminal|linux|shell|console|developer|character|person|dan|human|"
         r"jailbroken|unrestricted)\b",
         rf"\b(?:imagine|suppose|hypothetically|assume){_W}(?:that\W+)?{_YOU}\W*(?:are|were|re|had|"
         rf"have){_W}(?:no|an?\W+(?:evil|unrestricted|unfiltered|rogue|jailbroken|uncensored)|not\W+"
         r"(?:bound|restricted|an\W+ai))\b"),
    rule(JAIL, "asks it to drop its limits", "words",
         rf"\b(?:answer|respond|reply|talk|speak|act|behave|write|operate|chat){_W}(?:\w+{_W}){{0,2}}?"
         rf"(?:without|with\W+no|free\W+of|free\W+from|ignoring){_W}(?:(?:any|your|all|the){_W})?(?:{_LIMITS})\b",
         r"\bno\W+(?:rules|restrictions|filters|limits|censorship|guidelines)\W+(?:apply|anymore|at\W+all|whatsoever)\b",
         r"\b(?:free|freed|liberated|released)\W+from\W+(?:(?:all|any|your|the)\W+)?(?:restrictions|"
         r"rules|filters|limits|limitations|guidelines|programming|constraints|shackles|chains)\b",
         rf"\b(?:ai|a\W?i|assistant|bot|chatbot|model|host|version\W+of\W+you){_W}(?:with\W+no|"
         rf"without(?:\W+any)?|free\W+of|that\W+has\W+no|who\W+has\W+no){_W}(?:{_LIMITS})\b",
         r"\b(?:without|no)\W+(?:any\W+)?(?:ethical|moral|content|safety)\W+(?:guidelines|"
         r"restrictions|filters|limits|constraints|boundaries)\b"),
)

# Whole attacks with spacing and punctuation gone: the spaced-out and rot13 forms land here.
COMPACT = (
    rule(INJ, "asks to drop its instructions", "compact",
         r"(?:ignore|disregard|forget|bypass|override)(?:all|any|every|the|your|ur|my|of|previous|"
         r"prior|above|earlier|preceding|initial|original|system|these|those|safety|existing)*"
         r"(?:instructions?|rules|prompts?|directives|guidelines|programming|guardrails|"
         r"restrictions|constraints)"),
    rule(LEAK, "asks for the system prompt", "compact",
         r"(?:reveal|print|show|repeat|output|display|tellme|giveme|dump|leak|recite|whatis|"
         r"whatare|whats)(?:me|us|all|of|exactly|verbatim)*(?:(?:your|ur)(?:system|initial|"
         r"original|hidden|secret|full|exact|entire|whole|internal)*|the(?:system|initial|original|"
         r"hidden|secret|internal)+)(?:systemprompt|prompt|instructions|systemmessage)"
         r"(?!for|on|to|about|delivery|shipping|service|response|reply|payment)",
         r"(?:your|ur)(?:full|entire|whole|original|initial|hidden|secret)*(?:systemprompt|"
         r"systemmessage|preprompt|initialprompt)"),
    rule(JAIL, "asks for a special mode", "compact",
         r"developermode|devmode|godmode|danmode|doanythingnow|jailbreak|jailbroken"),
    rule(JAIL, "tries to switch its role", "compact",
         r"(?:youare|youre|ur)now(?:a|an|the|in)?(?:dan|unrestricted|unfiltered|uncensored|"
         r"jailbroken|evil|developermode)"),
)

RULES = (*INJECTION, *PROMPT_LEAK, *JAILBREAK, *COMPACT)
