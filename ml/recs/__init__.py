"""Product recommendations, plain Python (no Django): rows in, arrays and artifacts out.

- ``data``: catalogue items, purchases, opinions; item/history texts; the last-order time split.
- ``retrieval``: the two-tower model (one shared encoder for both towers) and batched top-K.
- ``rerank``: business rules (already bought, active only, category diversity).
- ``finetune``: contrastive fine-tuning on (history text -> next purchased item text) pairs.
- ``baselines``: popularity and implicit-feedback ALS (the ``implicit`` library).
- ``metrics`` / ``evaluate``: Recall@K, NDCG@K and catalogue coverage on the time split.
- ``cross_encoder``: the (member profile, item) cross-encoder reranker experiment.
- ``candidates`` / ``ranker`` / ``next_buy``: what the shop serves: next-buy recommendations as
  of a cutoff from several candidate sources (buy again, co-purchase, ALS, text, popularity)
  under a ranker learned on the shop's previous window, and the baselines it is measured against.
"""
