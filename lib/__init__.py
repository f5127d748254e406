"""`lib`: the small package behind the book *Attention Masks, Step by Step*.

Each module owns one idea of the walk:

- :mod:`lib.vocab`: words to token ids with ``LabelEncoder`` (+1, so 0 is padding)
- :mod:`lib.padding`: token-id lists to a (B, S) matrix
- :mod:`lib.masks`: padding mask, expansions, self-, cross- and causal attention masks
- :mod:`lib.plots`: one heatmap helper for every mask and weight matrix
- :mod:`lib.example`: the running example, the two sentences of the accepted answer
- :mod:`lib.errors`: the one exception family, with "expected ..., received ..." messages

Importing ``lib`` quiets TensorFlow's C++ start-up log (unless you set
``TF_CPP_MIN_LOG_LEVEL`` yourself) and imports nothing heavy by itself.
"""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
# oneDNN's start-up notice bypasses TF_CPP_MIN_LOG_LEVEL; turning the custom ops off also
# keeps float results identical from run to run.
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
