"""Live events: the interaction-rule engine and the callback signatures.

- `reconciler.events.engine`: `RuleEngine`, which rule of a group answers each live event (pure).
- `reconciler.events.content`: how a rule tag (`content`, `user.level`, `giftNum`, ...) reads event content.
- `reconciler.events.callbacks`: `sign_callback` / `verify_callback` for MSS_A and MSS_A_HEAD callbacks.

Nothing is imported here, so that a receiving service can import `reconciler.events.callbacks` (standard
library only) without pulling in the API models.
"""
