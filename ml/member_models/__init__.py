"""Member models for MemberHub: churn risk and 90-day spend forecast. Plain Python, no Django.

Rows go in as dicts with the MemberFeatures column names (members/predictions/models/features.py); models,
metrics and per-member scores come out. The Django side (members/predictions/services/churn*.py,
members/predictions/services/spend_forecast.py) reads the snapshots, calls these, and stores the results.

Modules:
    features  rows -> feature matrix, and reasons in words for a member's risk
    metrics   ROC-AUC, PR-AUC, Brier, reliability bins, lift at the top decile
    bgnbd     BG/NBD probability-alive baseline (Fader, Hardie & Lee 2005) via `lifetimes`
    churn     gradient-boosted churn classifier: backtest against baselines, score, explain
    forecast  gradient-boosted 90-day spend regression with a 10-90 % interval
"""
