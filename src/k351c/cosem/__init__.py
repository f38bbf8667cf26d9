"""The COSEM layer: interface classes and the object list bound to a meter."""

from k351c.cosem.device import build_object_list
from k351c.cosem.model import Attribute, CosemObject, Level, Method, ObjectList, RequestContext

__all__ = ["Attribute", "CosemObject", "Level", "Method", "ObjectList", "RequestContext", "build_object_list"]
