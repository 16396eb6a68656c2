"""The registration flows keep no tables of their own: members are in members.models, bulk imports in
sponsors.models (their tables keep the enrollment_ names: decisions.md, Z)."""
