"""Likelihood heads ("families"): raw network outputs -> distribution -> NLL.

``FAMILIES`` maps each name to its class; ``get_family(name, **params)`` builds
a configured instance; ``register_family`` adds a class (the test suite runs
over every registered family, so a new one is tested the moment it is added).

=============== ======= ======================================= ========================
name            outputs link                                    classical loss
=============== ======= ======================================= ========================
bernoulli       1 or k  p = sigmoid(z)                          binary cross-entropy
categorical     C       pi = softmax(z)                         categorical cross-entropy
normal-fixed    1       mu = z (sigma fixed)                    half squared error
normal          2       mu = z1, sigma = softplus(z2)           Gaussian NLL
laplace         2 or 1  mu = z1, b = softplus(z2) (or fixed b)  absolute error
poisson         1       lambda = exp(z)                         Poisson deviance
studentt        2       mu = z1, sigma = softplus(z2), df fixed Student-t NLL
negative-binom. 2       mu = exp(z1), alpha = softplus(z2)      NB2 NLL (overdispersed)
gamma           2       mu = exp(z1), shape = softplus(z2)      gamma NLL
log-normal      2       log y ~ N(z1, softplus(z2))             Gaussian NLL of log y + log y
beta            2       m = sigmoid(z1), phi = softplus(z2)     beta NLL
mixture-normal  3K      softmax weights, K means, K scales      mixture density network NLL
mixture-stud.t  3K      as mixture-normal, Student-t (df fixed) robust mixture density network NLL
ordinal         C       P(y <= k) = sigmoid(c_k - z0)           cumulative-logit NLL
weibull         2       lambda = exp(z1), k = softplus(z2)      Weibull NLL (survival)
log-logistic    2       alpha = exp(z1), beta = softplus(z2)    log-logistic NLL (survival)
zero-infl.-pois 2       lambda = exp(z1), pi = sigmoid(z0)      zero-inflated Poisson NLL
zero-infl.-nb   3       NB2 (z1, z2), pi = sigmoid(z0)          zero-inflated NB2 NLL
hurdle-poisson  2       lambda = exp(z1), P(0) = sigmoid(z0)    logit + truncated Poisson NLL
=============== ======= ======================================= ========================

Each family declares what it is (support, target kinds, parameters; see
:class:`probnn.families.base.Family`); every module of this package is imported
below, so a new family is one new file.
"""

from __future__ import annotations

from probnn.families.base import DISCRETE_KINDS, LABEL_KINDS, SUPPORTS, TARGET_KINDS, Family

__all__ = [
    "Family", "FAMILIES", "get_family", "register_family", "families_for", "default_family",
    "TARGET_KINDS", "DISCRETE_KINDS", "LABEL_KINDS", "SUPPORTS",
]  # fmt: skip

FAMILIES: dict[str, type[Family]] = {}


def register_family(cls: type[Family]) -> type[Family]:
    """Class decorator: add a :class:`Family` subclass to ``FAMILIES`` under ``cls.name``."""
    if not (isinstance(cls, type) and issubclass(cls, Family)):
        raise TypeError(f"register_family expects a Family subclass; found {cls!r}")
    if not cls.name:
        raise ValueError(f"{cls.__name__} needs a non-empty class attribute 'name'")
    known = FAMILIES.get(cls.name)
    if known is not None and known is not cls:
        raise ValueError(
            f"family name {cls.name!r} is already taken by {known.__module__}.{known.__name__}"
        )
    FAMILIES[cls.name] = cls
    return cls


def families_for(kind: str) -> list[str]:
    """Names of the registered families that can be fitted to targets of ``kind``.

    ``kind`` is one of :data:`TARGET_KINDS` (see ``probnn.tables.targets.target_kind``);
    the family declares the kinds in its ``target_kinds``. The default family
    for the kind comes first, then the others in registration order.
    """
    _check_kind(kind)
    names = [name for name, cls in FAMILIES.items() if kind in cls.target_kinds]
    first = default_family(kind)
    return [first] + [n for n in names if n != first]


def default_family(kind: str) -> str:
    """The texts' default family for targets of ``kind`` (the family's ``default_for``)."""
    _check_kind(kind)
    for name, cls in FAMILIES.items():
        if kind in cls.default_for:
            return name
    raise ValueError(f"no registered family is the default for {kind!r} targets")


def _check_kind(kind: str) -> None:
    if kind not in TARGET_KINDS:
        raise ValueError(f"unknown target kind {kind!r}; expected one of {', '.join(TARGET_KINDS)}")


def get_family(name: str | Family, **params) -> Family:
    """A configured family by name, e.g. ``get_family("normal-fixed", scale=2.0)``.

    A :class:`Family` instance passed without parameters is returned as it is.
    """
    if isinstance(name, Family):
        if params:
            raise ValueError("parameters can only be given with a family name, not an instance")
        return name
    try:
        cls = FAMILIES[name]
    except (KeyError, TypeError):
        raise ValueError(
            f"unknown family {name!r}; expected one of {', '.join(sorted(FAMILIES))}"
        ) from None
    # the family declares its parameters and their constraints: checked here, once
    accepted = list(cls.fixed_params)
    unknown = sorted(set(params) - set(accepted))
    if unknown:
        takes = ", ".join(accepted) if accepted else "no parameters"
        raise ValueError(
            f"family {name!r} takes {takes}; found unknown parameter(s) {', '.join(unknown)}"
        )
    params = {
        key: value if value is None else cls.fixed_params[key].check(key, value, name)
        for key, value in params.items()
    }
    return cls(**params)


def _import_family_modules() -> None:
    """Import every module of this package: each registers its families on import.

    Adding a family is adding one file here; nothing else lists the families.
    """
    import importlib
    import pkgutil

    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if info.name != "base" and not info.name.startswith("_"):
            importlib.import_module(f"{__name__}.{info.name}")


# last: the family modules import register_family from this module
_import_family_modules()
