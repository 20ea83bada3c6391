"""The descriptions the JSON Schemas give each object and field, as an editor shows them on hover.

A field is described, first found:

1. by its own ``Field(description=...)``: the manifest's own fields (metadata.name, a job's room and
   state, a test's events) and the API fields whose meaning smartlive changes (room_name's default);
2. by the API's documentation of it (reconciler/api/field_docs.json, from the official SDK), looked
   up under the API models the model is or mirrors: its own class and bases from reconciler.api.models,
   and first the one it names as ``api_model`` (``api_model: ClassVar[type[BaseModel]] =
   models.StartSmartLiveReq``) when it mirrors an API object without deriving from it;
3. by the description of the object it holds, when the API documents only the object
   (StartSmartLiveReq.video_config).

An object from reconciler.api.models is described by reconciler/api/object_docs.py (its docstring is
for maintainers), any other by its docstring.
"""

from __future__ import annotations

import inspect

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from reconciler.api import models as api_models
from reconciler.api.field_docs import field_doc
from reconciler.api.object_docs import OBJECT_DOCS
from reconciler.manifest.validation import models_in


def model_description(model: type[BaseModel]) -> str:
    if _is_api_model(model):
        return OBJECT_DOCS.get(model.__name__, "")
    # Reflowed: an editor shows each line break of a description as a paragraph break.
    paragraphs = inspect.cleandoc(model.__doc__ or "").split("\n\n")
    return "\n\n".join(" ".join(paragraph.split()) for paragraph in paragraphs if paragraph.strip())


def field_description(model: type[BaseModel], name: str, field: FieldInfo) -> str:
    if field.description:
        return field.description
    for api_model in _api_models(model):
        documented = field_doc(api_model.__name__, name)
        if documented:
            return documented
    held = models_in(field.annotation)
    return model_description(held[0]) if len(held) == 1 else ""


def _api_models(model: type[BaseModel]) -> list[type[BaseModel]]:
    named = getattr(model, "api_model", None)
    found: list[type[BaseModel]] = [named] if isinstance(named, type) else []
    found += [base for base in model.__mro__ if issubclass(base, BaseModel) and _is_api_model(base)]
    return found


def _is_api_model(model: type[BaseModel]) -> bool:
    return model.__module__ == api_models.__name__
