"""Helpers for the browser tests: the axe check, the texts each language shows, and
``Site``, which drives one browser page and checks every page it loads."""

import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from playwright.sync_api import Locator, Page, expect

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
AXE_PATH = ROOT / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
LANGUAGES = ("es", "en")
PASSWORD = "browser tests password"

# axe runs through the DevTools protocol (page.evaluate), not as a page script, so the
# app's Content-Security-Policy (script-src 'self') stays on and does not block it
# (test_axe.py checks both). resultTypes only skips collecting details of what passed.
AXE_RUN = (
    "\n;axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']},"
    " resultTypes: ['violations']})"
    ".then(r => r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,"
    " nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 5)})))"
)

_axe_source: str | None = None


def axe_source() -> str:
    global _axe_source
    if _axe_source is None:
        _axe_source = AXE_PATH.read_text(encoding="utf-8")
    return _axe_source


def axe_violations(page: Page) -> list[dict]:
    """The WCAG 2.1 A/AA violations axe-core finds on the page as it is now."""
    return page.evaluate(axe_source() + AXE_RUN)


def format_violations(violations: list[dict]) -> str:
    lines = []
    for v in violations:
        lines.append(f"- {v['id']} ({v['impact']}): {v['help']}")
        lines.extend(f"    at {target}" for target in v["nodes"])
    return "\n".join(lines)


def assert_accessible(page: Page) -> None:
    """Fail, listing each rule and element, if axe finds any WCAG 2.1 A/AA violation."""
    violations = axe_violations(page)
    assert not violations, f"axe: {len(violations)} violation(s) on {page.url}:\n{format_violations(violations)}"


# The Spanish catalogue's wording, written out here (not read from the catalogue) so that
# the tests notice a missing or changed translation. English shows the msgid itself.
SPANISH = {
    "Delete this post?": "¿Eliminar este mensaje?",
    "Delete the post": "Eliminar el mensaje",
    "%(name)s is now a verified official.": "Se verificó a %(name)s como funcionario/a municipal.",
    "Administration": "Administración",
    "Approve %(name)s": "Aprobar a %(name)s",
    "Approved": "Aprobada",
    "Audit log": "Registro de auditoría",
    "Change language": "Cambiar idioma",
    "Change password": "Cambiar contraseña",
    "Citizen": "Ciudadano/a",
    "Co-creating open government with municipalities": "Cocreación de gobierno abierto con los municipios",
    "Create account": "Crear cuenta",
    "Create an account": "Crear una cuenta",
    "Current password": "Contraseña actual",
    "Delete my account": "Eliminar mi cuenta",
    "Display name": "Nombre visible",
    "Download my data (JSON)": "Descargar mis datos (JSON)",
    "Download my data or delete my account": "Descargar mis datos o eliminar mi cuenta",
    "Email": "Correo electrónico",
    "I have read the privacy notice and agree that my participation is recorded as it describes.": (
        "He leído el aviso de privacidad y acepto que mi participación se registre en los términos que allí se"
        " describen."
    ),
    "I understand that my name and email are removed and cannot be recovered.": (
        "Entiendo que mi nombre y mi correo electrónico se eliminarán y no podrán recuperarse."
    ),
    "Keep me signed in on this device": "Mantener la sesión iniciada en este dispositivo",
    "Language": "Idioma",
    "Municipal official": "Funcionario/a municipal",
    "Municipalities": "Municipios",
    "My account": "Mi cuenta",
    "New password": "Nueva contraseña",
    "Organisations": "Organizaciones",
    "Password": "Contraseña",
    "Page not found": "Página no encontrada",
    "People and roles": "Personas y roles",
    "Please correct the following:": "Por favor, corrija lo siguiente:",
    "Preferred language": "Idioma preferido",
    "Processes": "Procesos",
    "Register": "Crear cuenta",
    "Repeat the new password": "Repita la nueva contraseña",
    "Repeat the password": "Repita la contraseña",
    "Save profile": "Guardar perfil",
    "Sign in": "Iniciar sesión",
    "Sign out": "Cerrar sesión",
    "Skip to main content": "Saltar al contenido principal",
    "The current password is not correct.": "La contraseña actual no es correcta.",
    "The email or password is not correct.": "El correo electrónico o la contraseña no son correctos.",
    "This field is required.": "Este campo es obligatorio.",
    "Verification requests": "Solicitudes de verificación",
    "Welcome, %(name)s. Your account is ready.": "Le damos la bienvenida, %(name)s. Su cuenta está lista.",
    "You are signed in.": "Ha iniciado sesión.",
    "You are signed out.": "Ha cerrado sesión.",
    "You must accept the privacy notice to register.": "Debe aceptar el aviso de privacidad para crear una cuenta.",
    "Your account has been deleted. What you contributed remains, without your name.": (
        "Su cuenta fue eliminada. Lo que aportó se conserva, sin su nombre."
    ),
    "Your municipality": "Su municipio",
    "Your password": "Su contraseña",
    "Your password has been changed.": "Se cambió su contraseña.",
    "Your profile is saved.": "Se guardó su perfil.",
}


def t(lang: str, msgid: str, **values) -> str:
    """What the interface shows for ``msgid`` in ``lang``."""
    text = SPANISH[msgid] if lang == "es" else msgid
    return text % values if values else text


def other(lang: str) -> str:
    return "en" if lang == "es" else "es"


@dataclass
class Account:
    email: str
    name: str
    password: str = PASSWORD


def new_account(prefix="persona") -> Account:
    """A unique account: the live database is shared by the whole session."""
    token = uuid.uuid4().hex[:10]
    return Account(email=f"{prefix}-{token}@example.org", name=f"Persona {token}")


class Site:
    """One browser page on the live site. Every page it loads is checked: the expected
    HTTP status, axe (WCAG 2.1 A/AA), and no script errors or CSP reports in the console."""

    def __init__(self, page: Page, base_url: str):
        self.page = page
        self.base_url = base_url
        self.console_errors: list[str] = []
        page.on("console", self._on_console)
        page.on("pageerror", lambda error: self.console_errors.append(f"page error: {error}"))
        page.on("response", self._on_response)

    def _on_console(self, message):
        # Chromium reports every 4xx response as "Failed to load resource"; documents'
        # statuses are asserted where they are loaded, the others in _on_response.
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            self.console_errors.append(message.text)

    def _on_response(self, response):
        # A stylesheet or icon that fails to load would show as a broken page.
        if response.status >= 400 and response.request.resource_type != "document":
            self.console_errors.append(f"{response.status} for {response.request.resource_type} {response.url}")

    # Loading and checking pages ---------------------------------------------------------

    def check(self) -> None:
        """The checks every loaded page gets."""
        self.page.wait_for_load_state("load")
        assert not self.console_errors, f"errors while loading {self.page.url}: {self.console_errors}"
        assert_accessible(self.page)

    def visit(self, path: str, status: int = 200):
        response = self.page.goto(path)
        assert response is not None
        assert response.status == status, f"GET {path}: {response.status}, expected {status}"
        self.check()
        return response

    @contextmanager
    def loads(self, status: int = 200):
        """Wrap the action (a click, a key press) that loads the next page."""
        with self.page.expect_navigation() as navigation:
            yield
        response = navigation.value
        assert response is not None
        assert response.status == status, f"{response.url}: {response.status}, expected {status}"
        self.check()

    def click(self, locator: Locator, status: int = 200) -> None:
        with self.loads(status):
            locator.click()

    # What the page says -------------------------------------------------------------------

    @property
    def lang(self) -> str:
        return self.page.locator("html").get_attribute("lang")

    def expect_lang(self, lang: str, timeout: float | None = None) -> None:
        expect(self.page.locator("html")).to_have_attribute("lang", lang, timeout=timeout)

    def flash(self) -> Locator:
        return self.page.locator("main .flashes[role=status]")

    def error_summary(self) -> Locator:
        return self.page.locator("main .error-summary[role=alert]")

    def menu_button(self) -> Locator:
        """The header's menu button (the ``<summary>`` shown on a phone)."""
        return self.page.locator("header details.site-menu > summary")

    def open_menu(self) -> None:
        """On a phone, open the header's menu if it is folded (a wide window shows it whole)."""
        button = self.menu_button()
        if button.is_visible() and not button.evaluate("summary => summary.parentElement.open"):
            button.click()

    def header_button(self, lang: str, msgid: str) -> Locator:
        self.open_menu()
        return self.page.locator("header").get_by_role("button", name=t(lang, msgid), exact=True)

    def header_link(self, lang: str, msgid: str) -> Locator:
        self.open_menu()
        return self.page.locator("header").get_by_role("link", name=t(lang, msgid), exact=True)

    def field(self, lang: str, msgid: str) -> Locator:
        return self.page.get_by_label(t(lang, msgid), exact=True)

    def button(self, lang: str, msgid: str, **values) -> Locator:
        return self.page.locator("main").get_by_role("button", name=t(lang, msgid, **values), exact=True)

    def link(self, lang: str, msgid: str) -> Locator:
        return self.page.locator("main").get_by_role("link", name=t(lang, msgid), exact=True)

    # Journeys ------------------------------------------------------------------------------

    def set_language(self, lang: str) -> None:
        """Choose ``lang`` in the footer's language form."""
        form = self.page.locator("footer form.language-form")
        form.locator("select#language-select").select_option(lang)
        self.click(form.get_by_role("button"))
        self.expect_lang(lang)
        expect(form.get_by_role("button")).to_have_text(t(lang, "Change language"))
        expect(form.get_by_label(t(lang, "Language"), exact=True)).to_have_value(lang)

    def register(self, lang: str, account: Account | None = None, municipality="Peñalolén") -> Account:
        """Create an account through the form, in ``lang`` (set in the footer first)."""
        account = account or new_account()
        self.visit("/register")
        if self.lang != lang:
            self.set_language(lang)
        expect(self.page.locator("h1")).to_have_text(t(lang, "Create an account"))
        self.field(lang, "Email").fill(account.email)
        self.field(lang, "Display name").fill(account.name)
        self.field(lang, "Password").fill(account.password)
        self.field(lang, "Repeat the password").fill(account.password)
        self.field(lang, "Your municipality").select_option(label=municipality)
        self.page.get_by_role(
            "checkbox",
            name=t(lang, "I have read the privacy notice and agree that my participation is recorded as it describes."),
        ).check()
        self.click(self.button(lang, "Create account"))
        # A newcomer is led to their municipality's citizen forum (the home page if it
        # has none); the journeys then start from the profile page.
        expect(self.flash()).to_contain_text(t(lang, "Welcome, %(name)s. Your account is ready.", name=account.name))
        assert not self.page.url.endswith("/register"), self.page.url
        self.welcomed_at = self.page.url
        self.visit("/account")
        return account

    def login(self, lang: str, email: str, password: str, remember=False, status: int = 200, then=None) -> None:
        """Sign in through the form shown in ``lang``; the account's own preferred
        language, ``then``, takes over once signed in (``lang`` if not given)."""
        then = then or lang
        self.visit("/login")
        self.expect_lang(lang)
        self.field(lang, "Email").fill(email)
        self.field(lang, "Password").fill(password)
        if remember:
            self.field(lang, "Keep me signed in on this device").check()
        self.click(self.button(lang, "Sign in"), status=status)
        if status == 200:
            self.expect_lang(then)
            expect(self.flash()).to_contain_text(t(then, "You are signed in."))
            expect(self.header_button(then, "Sign out")).to_be_visible()

    def logout(self, lang: str) -> None:
        self.click(self.header_button(lang, "Sign out"))
        expect(self.flash()).to_contain_text(t(lang, "You are signed out."))
        expect(self.header_link(lang, "Sign in")).to_be_visible()

    def url_of(self, path: str) -> str:
        return self.base_url + path


# The forums' wording (tests/browser/test_forums.py). "%(num)s result" is the singular form.
SPANISH.update(
    {
        "%(num)s result": "%(num)s resultado",
        "Change status": "Cambiar estado",
        "Citizen forum": "Foro ciudadano",
        "Closed": "Cerrado",
        "Current version": "Versión actual",
        "Delete": "Eliminar",
        "Deleted by its author.": "Eliminado por su autor o autora.",
        "Description": "Descripción",
        "Edit": "Editar",
        "Edit history": "Historial de ediciones",
        "Edit post": "Editar mensaje",
        "edited": "editado",
        "Forum created.": "Se creó el foro.",
        "Forums": "Foros",
        "In reply to %(name)s": "En respuesta a %(name)s",
        "Join this forum": "Unirse a este foro",
        "Kind": "Tipo",
        "Manage this forum": "Administrar este foro",
        "Message": "Mensaje",
        "Municipality": "Municipio",
        "Open a forum": "Abrir un foro",
        "Position or unit": "Cargo o unidad",
        "Post deleted.": "Se eliminó el mensaje.",
        "Post saved.": "Se guardó el mensaje.",
        "Preview": "Vista previa",
        "Publish": "Publicar",
        "Reply": "Responder",
        "Reply published.": "Se publicó la respuesta.",
        "Reply to this post": "Responder a este mensaje",
        "Request verification": "Solicitar verificación",
        "Save": "Guardar",
        "Search": "Buscar",
        "Search the forums": "Buscar en los foros",
        "Search this forum": "Buscar en este foro",
        "Start a thread": "Iniciar una conversación",
        "Status": "Estado",
        "The forum is now: %(status)s.": "El foro ahora está: %(status)s.",
        "This forum is closed: it can be read but takes no new posts.": (
            "Este foro está cerrado: se puede leer, pero no admite mensajes nuevos."
        ),
        "Thread published.": "Se publicó la conversación.",
        "Title": "Título",
        "Verification as a municipal official": "Verificación como funcionario/a municipal",
        "Your request was sent. A facilitator or administrator will review it.": (
            "Su solicitud fue enviada. Una persona facilitadora o administradora la revisará."
        ),
        "You joined %(forum)s.": "Se unió a %(forum)s.",
    }
)


#: A phone's window, the narrowest the platform supports.
SMALL = {"width": 360, "height": 740}


def assert_fits(site: Site) -> None:
    """The page does not scroll sideways in a :data:`SMALL` window."""
    width = site.page.evaluate("document.documentElement.scrollWidth")
    assert width <= SMALL["width"], f"{site.page.url} scrolls sideways: {width}px wide in a {SMALL['width']}px screen"


def tab_to(site: Site, locator: Locator, limit: int = 200) -> None:
    """Press Tab until ``locator`` has the focus (fails after ``limit`` presses)."""
    for _ in range(limit):
        site.page.keyboard.press("Tab")
        if locator.evaluate("element => element === document.activeElement"):
            return
    raise AssertionError(f"Tab never reached {locator}")
