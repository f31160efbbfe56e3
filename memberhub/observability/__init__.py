"""Operating MemberHub: request/task ids in logs, health and readiness checks, Prometheus metrics,
the optional error reporter. Wiring only; docs/operations.md describes what each piece is for."""
