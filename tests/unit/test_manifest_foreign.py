"""foreign.py: which YAML documents are meant as smartlive manifests, and what a file that does not
parse says of itself."""

from __future__ import annotations

import pytest

from reconciler.manifest.foreign import hints_name_smartlive, meant_as_manifest, text_hints
from reconciler.manifest.registry import kinds

#: Kinds of Kubernetes, its common operators and other tools: none may pass for a typo of ours.
OTHER_KINDS = [
    "Deployment",
    "Service",
    "ConfigMap",
    "Secret",
    "Ingress",
    "Role",
    "RoleBinding",
    "ClusterRole",
    "ServiceAccount",
    "StatefulSet",
    "DaemonSet",
    "Job",
    "CronJob",
    "Pod",
    "Namespace",
    "PersistentVolumeClaim",
    "HorizontalPodAutoscaler",
    "NetworkPolicy",
    "CustomResourceDefinition",
    "Kustomization",
    "List",
    "Application",
    "HelmRelease",
    "GitRepository",
    "Workflow",
    "Pipeline",
    "Task",
    "VirtualService",
    "DestinationRule",
    "Gateway",
    "HTTPRoute",
    "ServiceMonitor",
    "PrometheusRule",
    "Certificate",
    "Issuer",
]


@pytest.mark.parametrize("kind", OTHER_KINDS)
def test_other_tools_kinds_are_not_taken_for_ours(kind: str) -> None:
    assert not meant_as_manifest({"apiVersion": "x/v1", "kind": kind}, kinds())
    assert not meant_as_manifest({"kind": kind}, kinds())


@pytest.mark.parametrize(
    ("document", "meant"),
    [
        ({"apiVersion": "smartlive/v1"}, True),
        ({"apiVersion": "Smartlive/v2", "kind": "Deployment"}, True),
        ({"apiVersion": "v1", "kind": "InteractionRuleGroup"}, True),
        ({"kind": "SmartLiveJobs"}, True),
        ({"apiVersion": 1, "kind": "SmartLiveRoom"}, True),
        ({"apiVersion": "apps/v1", "kind": "Deployment"}, False),
        ({"services": {"web": {"image": "nginx"}}}, False),
        ({"kind": ["SmartLiveRoom"]}, False),
        ([{"kind": "SmartLiveRoom"}], False),
        ("SmartLiveRoom", False),
        (None, False),
    ],
)
def test_meant_as_a_manifest(document: object, meant: bool) -> None:
    assert meant_as_manifest(document, kinds()) is meant


@pytest.mark.parametrize(
    ("text", "names"),
    [
        (b"apiVersion: smartlive/v1\nkind: [", True),
        (b"{apiVersion: 'smartlive/v1', kind: x", True),
        (b"- kind: SmartLiveRoom\n  spec: !Ref x\n", True),
        (b"kind: Deployment\nspec: !Ref x\n", False),
        (b"Resources: !Sub x\n", False),
        (b"\xff\xfe not utf-8 kind: InteractionRuleTest", True),
    ],
)
def test_the_text_of_a_file_that_does_not_parse(text: bytes, names: bool) -> None:
    assert hints_name_smartlive(text_hints(text), kinds()) is names
