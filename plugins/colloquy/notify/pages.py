"""The HTML of the moderation pages: small, readable on a 390-px phone, no JavaScript.

Jinja autoescapes everything; a comment's text arrives already rendered and sanitised
by `markup.render`, the only markup marked safe.
"""

from __future__ import annotations

from jinja2 import Environment

_env = Environment(autoescape=True, trim_blocks=True, lstrip_blocks=True)

STYLE = """
*{box-sizing:border-box}body{font:16px/1.5 system-ui,sans-serif;margin:0 auto;padding:12px;
max-width:46em;color:#222;background:#fff}h1{font-size:1.4em}h2{font-size:1.1em;margin:.2em 0}
.item{border-top:1px solid #ccc;padding:12px 0}.meta{color:#555;font-size:.9em;
overflow-wrap:anywhere}.parent{border-left:3px solid #bbb;padding-left:10px;color:#555}
.body{overflow-wrap:anywhere}.body pre{overflow-x:auto}button{font:inherit;padding:.5em 1em;
margin:.2em .4em .2em 0;min-height:44px}input[type=password]{font:inherit;width:100%;
max-width:20em;padding:.4em}.notice{background:#eef6ee;padding:.5em}.problem{background:#fbeaea;
padding:.5em}label.pick{display:inline-flex;gap:.4em;align-items:center;min-height:44px}
nav form{display:inline}
"""

BASE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>{{ title }} · {{ site_name }}</title>
<style>{{ style }}</style>
</head>
<body>
<main id="main">
{% if nav %}<nav><a href="/moderation/">Pending</a> ·
<form method="post" action="/moderation/logout"><input type="hidden" name="csrf" value="{{ csrf }}">
<button type="submit">Log out</button></form></nav>{% endif %}
<h1>{{ title }}</h1>
{% if notice %}<p class="notice" role="status" id="notice">{{ notice }}</p>{% endif %}
{% if problem %}<p class="problem" role="alert" id="problem">{{ problem }}</p>{% endif %}
{% block content %}{% endblock %}
</main>
</body>
</html>
"""

ITEM = """
{% macro show(i, pick=False) %}
<article class="item" id="c-{{ i.id }}">
<h2>{% if pick %}<label class="pick"><input type="checkbox" name="id" value="{{ i.id }}">
{{ i.author }}</label>{% else %}{{ i.author }}{% endif %}{{ " " }}on
<a href="{{ i.essay_url }}">{{ i.essay_title }}</a></h2>
<p class="meta">{{ i.when }}{% if i.website %} · {{ i.website }}{% endif %}
{% if i.email %} · {{ i.email }}{% endif %}{% if i.source != 'web' %} · from {{ i.source }}{% endif %}
{% if i.kind != 'comment' %} · {{ i.kind }}{% endif %}</p>
{% if i.parent %}<div class="parent"><p class="meta">In reply to {{ i.parent.author }}:</p>
{{ i.parent.html }}</div>{% endif %}
<div class="body">{{ i.html }}</div>
{% if pick %}<p><button type="submit" name="act" value="approve:{{ i.id }}">Approve</button>
<button type="submit" name="act" value="reject:{{ i.id }}">Reject</button></p>{% endif %}
</article>
{% endmacro %}
"""

LIST = _env.from_string(ITEM + BASE.replace("{% block content %}{% endblock %}", """
{% if pending %}
<form method="post" action="/moderation/">
<input type="hidden" name="csrf" value="{{ csrf }}">
{% for i in pending %}{{ show(i, True) }}{% endfor %}
<p><button type="submit" name="act" value="approve">Approve selected</button>
<button type="submit" name="act" value="reject">Reject selected</button></p>
</form>
{% else %}
<p id="nothing-pending">Nothing is waiting for moderation.</p>
{% endif %}
<h1>Recently published</h1>
{% for i in recent %}{{ show(i) }}{% else %}<p>Nothing yet.</p>{% endfor %}
"""))

LOGIN = _env.from_string(BASE.replace("{% block content %}{% endblock %}", """
{% if can_login %}
<form method="post" action="/moderation/login">
<input type="hidden" name="csrf" value="{{ csrf }}">
<p><label for="password">Password</label><br>
<input id="password" name="password" type="password" autocomplete="current-password" required autofocus></p>
<p><button type="submit">Log in</button></p>
</form>
{% endif %}
"""))

CONFIRM = _env.from_string(ITEM + BASE.replace("{% block content %}{% endblock %}", """
{% if item %}{{ show(item) }}{% endif %}
{% if button %}
<form method="post" action="{{ action }}">
{% if csrf %}<input type="hidden" name="csrf" value="{{ csrf }}">{% endif %}
<p><button type="submit">{{ button }}</button></p>
</form>
{% endif %}
{% if back %}<p><a href="{{ back }}">{{ back_label }}</a></p>{% endif %}
"""))


def render(template, **values) -> str:
    values.setdefault("style", STYLE)
    for name in ("notice", "problem", "nav", "csrf", "item", "button", "back"):
        values.setdefault(name, None)
    return template.render(**values)
