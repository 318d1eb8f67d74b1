"""The /activate pages as HTML: plain forms that work without JavaScript. Every value put
into a page goes through html.escape."""

from __future__ import annotations

from html import escape

from hubtokens.localhub.messages import HTML_TYPE, Reply

# No scripts at all, forms only back to this hub, never framed, never cached, no referrer
# (the page's URL can hold the user code).
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}

_STYLE = """
body { font-family: system-ui, sans-serif; max-width: 28rem; margin: 3rem auto; padding: 0 1rem;
       color: #1d2125; }
h1 { font-size: 1.4rem; }
label { display: block; margin-top: 1rem; font-weight: 600; }
input { font-size: 1.1rem; padding: .4rem; width: 100%; box-sizing: border-box; }
#user_code { letter-spacing: .2rem; text-transform: uppercase; }
button { margin-top: 1.2rem; margin-right: .5rem; font-size: 1rem; padding: .5rem 1.2rem; }
.error { color: #a4000f; border-left: 4px solid #a4000f; padding-left: .6rem; }
.device { background: #f2f4f6; padding: .6rem; word-break: break-word; }
"""


def page(status: int, title: str, body: str, headers: dict[str, str] | None = None) -> Reply:
    html = (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)} - localhub sign-in</title><style>{_STYLE}</style></head>"
        f"<body><h1>{escape(title)}</h1>{body}</body></html>\n"
    )
    return Reply(status, html.encode(), HTML_TYPE, {**SECURITY_HEADERS, **(headers or {})})


def _error(message: str | None) -> str:
    return f'<p class="error" id="error" role="alert">{escape(message)}</p>' if message else ""


def _csrf(token: str) -> str:
    return f'<input type="hidden" name="csrf" value="{escape(token)}">'


def code_form(csrf: str, user_code: str, message: str | None = None) -> str:
    return (
        "<p>Enter the code your device shows.</p>"
        + _error(message)
        + '<form method="post" action="/activate">'
        + _csrf(csrf)
        + '<label for="user_code">Code</label>'
        f'<input id="user_code" name="user_code" value="{escape(user_code)}" '
        'autocomplete="off" autocapitalize="characters" spellcheck="false" required autofocus>'
        '<button type="submit" id="continue">Continue</button></form>'
    )


def login_form(csrf: str, user_code: str, username: str = "", message: str | None = None) -> str:
    return (
        f"<p>Code <strong>{escape(user_code)}</strong>. Sign in to Docker Hub.</p>"
        + _error(message)
        + '<form method="post" action="/activate/login">'
        + _csrf(csrf)
        + '<label for="username">Username</label>'
        f'<input id="username" name="username" value="{escape(username)}" '
        'autocomplete="username" required autofocus>'
        '<label for="password">Password</label>'
        '<input id="password" name="password" type="password" '
        'autocomplete="current-password" required>'
        '<label for="otp">Two-step verification code (if your account uses it)</label>'
        '<input id="otp" name="otp" inputmode="numeric" autocomplete="one-time-code">'
        '<button type="submit" id="sign_in">Sign in</button></form>'
    )


def consent_form(csrf: str, user_code: str, username: str, client_id: str, device: str) -> str:
    return (
        f"<p>A device asks to sign in to Docker Hub as <strong>{escape(username)}</strong>.</p>"
        f'<p class="device" id="device">Client: <strong>{escape(client_id)}</strong><br>'
        f"Device: {escape(device or 'unknown')}<br>Code: <strong>{escape(user_code)}</strong></p>"
        "<p>Approve only if you started this sign-in yourself and your device shows this code."
        "</p>"
        '<form method="post" action="/activate/decide">'
        + _csrf(csrf)
        + '<button type="submit" id="approve" name="decision" value="approve">Approve</button>'
        '<button type="submit" id="deny" name="decision" value="deny">Deny</button></form>'
    )


def closing(message: str) -> str:
    return f'<p id="done">{escape(message)}</p><p>You can close this window.</p>'


def start_again(message: str) -> str:
    return _error(message) + '<p><a href="/activate" id="start_again">Enter a code</a></p>'
