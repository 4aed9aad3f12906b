"""Turn an exception escaping a page into a message a manager can read — never a traceback."""

from __future__ import annotations

import logging
import traceback

import streamlit as st

from core.errors import KehuError
from core.i18n import t

log = logging.getLogger("kehu")


def show(exc: Exception, lang: str) -> None:
    """``KehuError`` messages are written for users; anything else gets a generic message.

    The server log gets the exception type and the code location only: exception messages can
    quote customer data, which must not end up in logs.
    """
    if isinstance(exc, KehuError):
        st.error(exc.message(lang))
        return
    frames = traceback.extract_tb(exc.__traceback__)
    where = "; ".join(f"{f.filename.rsplit('/', 1)[-1]}:{f.lineno} {f.name}" for f in frames[-4:])
    log.error("unexpected %s at %s", type(exc).__name__, where)
    st.error(t("common.unexpected_error", lang))
    with st.expander(t("common.error_detail", lang)):
        st.code(f"{type(exc).__name__} · {where}", language=None)
