"""Known XSS vectors, and a check that nothing executable survives in HTML."""

from __future__ import annotations

import lxml.html

VECTORS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=https://evil.example/xss.js></SCRIPT>",
    "<img src=x onerror=alert(1)>",
    "<svg onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    "<body onload=alert(1)>",
    "<iframe src=javascript:alert(1)></iframe>",
    "<iframe srcdoc='<script>alert(1)</script>'></iframe>",
    "<object data=javascript:alert(1)></object>",
    "<embed src=javascript:alert(1)>",
    "<a href=\"javascript:alert(1)\">click</a>",
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[click](java&#x09;script:alert(1))",
    "[click](&#106;avascript:alert(1))",
    "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "[click](vbscript:msgbox(1))",
    "<a href=\"data:text/html,<script>alert(1)</script>\">x</a>",
    "![x](javascript:alert(1))",
    "![x](https://tracker.example/pixel.gif\" onerror=\"alert(1))",
    "<style>body{background:url(javascript:alert(1))}</style>",
    "<div style=\"background:url(javascript:alert(1))\">x</div>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "<details open ontoggle=alert(1)>",
    "<input autofocus onfocus=alert(1)>",
    "<form action=javascript:alert(1)><button>x</button></form>",
    "<button formaction=javascript:alert(1)>x</button>",
    "<meta http-equiv=refresh content=\"0;url=javascript:alert(1)\">",
    "<base href=javascript:alert(1)//>",
    "<link rel=stylesheet href=javascript:alert(1)>",
    "<<script>script>alert(1)<</script>/script>",
    "<scr<script>ipt>alert(1)</scr</script>ipt>",
    "<img src=\"x\" `onerror=alert(1)`>",
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    "<a href=\"https://ok.example\" onclick=\"alert(1)\">ok</a>",
    "<p title=\"</p><script>alert(1)</script>\">x</p>",
    "`<script>alert(1)</script>` and ```\n<script>alert(1)</script>\n```",
    "<noscript><p title=\"</noscript><img src=x onerror=alert(1)>\">",
    "<template><script>alert(1)</script></template>",
    "<a href=\"  javascript:alert(1)\">spaced</a>",
    "<!--<img src=x onerror=alert(1)>-->",
    "<![CDATA[<script>alert(1)</script>]]>",
]

DANGEROUS_TAGS = {"script", "iframe", "object", "embed", "svg", "math", "style", "base",
                  "meta", "link", "frame", "frameset", "applet", "template", "noscript", "img"}
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "data", "srcdoc", "xlink:href",
                  "background", "poster"}


def executable_bits(root, allowed_tags=frozenset()) -> list[str]:
    """Everything in a parsed tree that a browser could run or that loads from elsewhere."""
    found = []
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        if element.tag.lower() in DANGEROUS_TAGS - set(allowed_tags):
            found.append(f"<{element.tag}>")
        for name, value in element.attrib.items():
            lowered = name.lower()
            if lowered.startswith("on") or lowered == "style" or lowered == "srcdoc":
                found.append(f"{element.tag}[{name}]")
            if lowered in URL_ATTRIBUTES:
                scheme = "".join(value.split()).lower()
                if scheme.startswith(("javascript:", "data:", "vbscript:")):
                    found.append(f"{element.tag}[{name}={value!r}]")
    return found


def fragment_bits(html: str) -> list[str]:
    if not html.strip():
        return []
    return executable_bits(lxml.html.fragment_fromstring(html, create_parent="div"))
