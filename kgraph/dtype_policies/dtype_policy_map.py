"""``DTypePolicyMap``: layer paths (exact, or regular expressions matched in full) mapped to
dtype policies, with a default for the paths it does not name, as Keras 3 has it."""

from __future__ import annotations

import re
from collections.abc import MutableMapping

from kgraph.dtype_policies.dtype_policy import DTypePolicy


class DTypePolicyMap(DTypePolicy, MutableMapping):
    """A policy per layer path; a layer given the map takes the entry for its name, else the
    default policy (the global one when ``default_policy`` is None).

    Args:
        default_policy: The policy of paths the map does not match.
        policy_map: A dict of path (or regular expression) -> policy.
    """

    def __init__(self, default_policy=None, policy_map=None):
        from kgraph.dtype_policies import get

        if isinstance(default_policy, DTypePolicyMap):
            raise ValueError("`default_policy` cannot be a `DTypePolicyMap`.")
        if policy_map is not None and not isinstance(policy_map, dict):
            raise TypeError(
                "If specified, `policy_map` must be a dict. "
                f"Received: policy_map={policy_map} of type {type(policy_map)}"
            )
        self._default_policy_arg = default_policy
        self._default_policy = get(default_policy)
        self._policy_map = {k: get(v) for k, v in (policy_map or {}).items()}
        self._quantization_mode = None

    @property
    def name(self) -> str:
        return f"map_{self._default_policy.name}"

    @property
    def default_policy(self) -> DTypePolicy:
        return self._default_policy

    compute_dtype = property(lambda self: self._default_policy.compute_dtype)
    variable_dtype = property(lambda self: self._default_policy.variable_dtype)

    def __getitem__(self, key) -> DTypePolicy:
        """The exact entry, else the one pattern ``key`` fully matches, else the default."""
        if key in self._policy_map:
            return self._policy_map[key]
        matching = [p for p in self._policy_map if re.fullmatch(p, key)]
        if len(matching) > 1:
            raise ValueError(
                f"Path '{key}' matches multiple dtype policy specification keys: {matching}. "
                "Please make sure each path only matches at most one dtype policy "
                "specification key in the DTypePolicyMap."
            )
        return self._policy_map[matching[0]] if matching else self.default_policy

    def __setitem__(self, key, policy) -> None:
        from kgraph.dtype_policies import get

        if key in self._policy_map:
            raise ValueError(
                f"{key} already exist in the DTypePolicyMap with value "
                f"{self._policy_map[key]}. Please make sure to not use duplicated keys."
            )
        try:
            policy = get(policy)
        except Exception:
            raise ValueError(
                "Cannot interpret the assigned value by `keras.dtype_policies.get`. "
                f"Received: {policy} of type {type(policy)}"
            ) from None
        self._policy_map[key] = policy

    def __delitem__(self, key):
        return self._policy_map.pop(key)

    def __contains__(self, key) -> bool:
        return key in self._policy_map

    def __len__(self) -> int:
        return len(self._policy_map)

    def __iter__(self):
        return iter(self._policy_map)

    def __eq__(self, other):
        return (
            isinstance(other, DTypePolicyMap)
            and self._default_policy == other._default_policy
            and self._policy_map == other._policy_map
        )

    __hash__ = None

    def get_config(self) -> dict:
        from kgraph.dtype_policies import serialize

        return {
            "default_policy": self._default_policy_arg,
            "policy_map": {k: serialize(v) for k, v in self._policy_map.items()},
        }

    @classmethod
    def from_config(cls, config: dict, custom_objects=None):
        return cls(**config)

    def __repr__(self):
        mapping = [(k, v.name) for k, v in self._policy_map.items()]
        return (
            f"<DTypePolicyMap at {hex(id(self))} default_policy={self.name[4:]}, mapping={mapping}>"
        )
