"""Who may do what to which image repository: the module's rules, in registry actions.

``pull`` is reading the module; ``push`` and ``delete`` are reserved to site administrators
and to publishing's internal credential for that repository (resource ``registry:<ns>/<slug>``),
because images are made by publishing, not pushed by hand. Tokens narrow this further:
a read-scope personal token only pulls.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from accounts.credentials import Token
from accounts.internal import InternalToken
from modules.models import Module

# The OCI distribution spec's repository name grammar.
NAME_PATTERN = re.compile(
    r"^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*)*$"
)
TAG_PATTERN = re.compile(r"^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$")
ALL_ACTIONS = frozenset({"pull", "push", "delete"})
PUSH_DENIED = (
    "Images are made by publishing: publish a version of the module on the hub instead of "
    "pushing ({name})."
)


def valid_name(name: str) -> bool:
    return len(name) <= 255 and bool(NAME_PATTERN.match(name))


def resource(name: str) -> str:
    """What an internal credential names to push to the image repository ``name``."""
    return f"registry:{name}"


def find_module(name: str) -> Module | None:
    """The module behind ``<namespace>/<slug>``, or None (other shapes name nothing here)."""
    if not valid_name(name) or name.count("/") != 1:
        return None
    namespace, slug = name.split("/")
    return (
        Module.objects.select_related("owner").filter(owner__username=namespace, slug=slug).first()
    )


def allowed_actions(user, token: Token | None, module: Module | None) -> set[str]:
    if module is None:
        return set()
    if isinstance(token, InternalToken):
        # The platform's own credential is exactly as wide as what it names.
        if token.allows(resource(module.full_name)):
            return set(ALL_ACTIONS) if token.has_scope("write") else {"pull"}
        return {"pull"} if module.is_public else set()
    actions: set[str] = set()
    if module.can_read(user) and (token is None or token.has_scope("read")):
        actions.add("pull")
    if user is not None and user.is_superuser and (token is None or token.has_scope("write")):
        actions |= {"push", "delete"}
    return actions


@dataclass
class Caller:
    """Who is calling, and (with a registry token) what that token granted."""

    user: object | None = None
    token: Token | None = None
    granted: dict[str, set[str]] | None = None  # from a registry token's access claims
    _cache: dict[str, tuple[Module | None, set[str]]] = field(default_factory=dict)

    @property
    def anonymous(self) -> bool:
        return self.user is None and not isinstance(self.token, InternalToken)

    def resolve(self, name: str) -> tuple[Module | None, set[str]]:
        if name not in self._cache:
            module = find_module(name)
            if self.granted is not None:
                actions = set(self.granted.get(name, set())) if module else set()
                if module is not None and module.is_public:
                    actions.add("pull")
            else:
                actions = allowed_actions(self.user, self.token, module)
            self._cache[name] = (module, actions)
        return self._cache[name]

    def can_read(self, module: Module) -> bool:
        return "pull" in self.resolve(module.full_name)[1]

    def may_list(self, module: Module) -> bool:
        """What the user behind a registry token may read (the catalog, mount sources): the
        token itself names only the repositories the client asked for."""
        if self.granted is not None:
            return "pull" in allowed_actions(self.user, None, module)
        return self.can_read(module)
