"""Training an offer model (model.py) on labelled texts: `toolkit lexicon train`.

An L2-regularised logistic regression, offers (the four offer labels) against everything else
(unrelated, news, warnings), fitted by L-BFGS (scipy.optimize) on the n-gram features model.py
computes: each n-gram's count in the text, weighted by its inverse document frequency in the
training texts (smooth idf: ln((1 + N) / (1 + df)) + 1), divided by the square root of the text's
number of n-grams. N-grams found in fewer than `min_df` training texts get no weight (a model
should not learn a single ad by heart). Both classes weigh the same in the loss, however many texts
each has ("balanced"). The stored weight of an n-gram is its coefficient times its idf, so that
scoring needs only a sum (model.py). Training is deterministic: same texts and settings, same file.
"""

from __future__ import annotations

import hashlib
from dataclasses import replace

import numpy as np
from scipy import optimize, sparse

from toolkit.errors import UsageError
from toolkit.lexicon.evaluate import OFFERS, Labelled
from toolkit.lexicon.model import BITS, NGRAMS, ModelInfo, OfferModel, fold_texts, ngram_buckets

DEFAULT_C = 10.0
DEFAULT_MIN_DF = 2
DEFAULT_FALSE_ALARMS = 0.02
FOLDS = 5


def features(texts: list[str], bits: int = BITS, ngrams: tuple[int, ...] = NGRAMS) -> sparse.csr_matrix:
    """Per text, its n-gram counts by bucket (rows: texts; columns: 2**bits buckets)."""
    post, bucket, _ = ngram_buckets(fold_texts(texts), bits, ngrams)
    counts = sparse.csr_matrix((np.ones(len(post)), (post - 1, bucket)), shape=(len(texts), 1 << bits))
    counts.sum_duplicates()
    return counts


def train(items: list[Labelled], *, name: str = "offers", version: str = "1", c: float = DEFAULT_C,
          min_df: int = DEFAULT_MIN_DF, bits: int = BITS, ngrams: tuple[int, ...] = NGRAMS,
          false_alarms: float = DEFAULT_FALSE_ALARMS, folds: int = FOLDS) -> OfferModel:
    """Fit a model to labelled texts (offers against the rest) and set its decision boundary.

    The boundary (logit 0, POINTS_AT_BOUNDARY points) is put where `false_alarms` of the other
    texts score above it when each is scored by a model fitted without its fold (`folds`-fold
    cross-validation, texts of one `source` kept in one fold): a rate measured on texts the
    model did not see, not on the ones it learnt. UsageError without both classes.
    """
    labels = np.array([item.label in OFFERS for item in items])
    if labels.all() or not labels.any():
        raise UsageError("training needs offers and other texts (news, warnings or unrelated)",
                         "Label at least a few texts of each kind")
    model = _train(items, labels, name, version, c, min_df, bits, ngrams)
    fold = np.array([hashlib.sha256(item.source.encode()).digest()[0] % folds for item in items])
    unseen = np.zeros(len(items))
    for number in range(folds):
        held = np.flatnonzero(fold == number)
        kept = [items[i] for i in np.flatnonzero(fold != number)]
        kept_labels = labels[fold != number]
        if not len(held) or kept_labels.all() or not kept_labels.any():
            continue
        partial = _train(kept, kept_labels, name, version, c, min_df, bits, ngrams, categories=False)
        unseen[held] = partial.logits(fold_texts([items[i].text for i in held]), len(held))
    boundary = float(np.quantile(unseen[~labels], 1 - false_alarms))
    model.info = replace(model.info, bias=model.info.bias - boundary)
    model.info.trained.update({"false_alarms": false_alarms, "folds": folds, "boundary_shift": round(-boundary, 6),
                               "unseen_recall": round(float((unseen[labels] >= boundary).mean()), 4)})
    return model


def _train(items: list[Labelled], labels: np.ndarray, name: str, version: str, c: float, min_df: int, bits: int,
           ngrams: tuple[int, ...], categories: bool = True) -> OfferModel:
    """The fitted model, its intercept as fitted (see `train`); without `categories` (the
    cross-validation's models, which only give logits), no category part."""
    counts = features([item.text for item in items], bits, ngrams)
    df = np.bincount(counts.indices, minlength=counts.shape[1])
    idf = np.log((1 + len(items)) / (1 + df)) + 1
    idf[df < min_df] = 0.0
    length = np.asarray(counts.sum(axis=1)).ravel()
    x = sparse.diags(1 / np.sqrt(np.maximum(length, 1))) @ counts @ sparse.diags(idf)
    x = x.tocsr()
    used = np.flatnonzero(idf)
    x = x[:, used]
    coef, bias = _fit(x, labels.astype(np.float64), c)
    weights = np.zeros(1 << bits, dtype=np.float32)
    weights[used] = (coef * idf[used]).astype(np.float32)
    trained = {"texts": len(items), "offers": int(labels.sum()), "others": int((~labels).sum()), "c": c,
               "min_df": min_df}
    if not categories:
        return OfferModel(weights, ModelInfo(name, version, bits, ngrams, float(bias), trained))
    # Which offer it is: a softmax over the offer categories the texts have, fitted on the offers alone.
    names = sorted({item.label for item in items if item.label in OFFERS})
    classes = np.array([names.index(item.label) for item in items if item.label in OFFERS])
    category_coef, category_bias = _fit_softmax(x[labels], classes, len(names), c)
    category_weights = (category_coef * idf[used][:, None]).astype(np.float32)
    info = ModelInfo(name, version, bits, ngrams, float(bias), trained, tuple(names), tuple(category_bias.tolist()))
    return OfferModel(weights, info, categories=(used.astype(np.uint32), category_weights))


def _fit(x: sparse.csr_matrix, y: np.ndarray, c: float) -> tuple[np.ndarray, float]:
    """Coefficients and intercept minimising c * weighted log loss + |coef|^2 / 2 (the intercept unpenalised)."""
    positive = y.sum()
    weight = np.where(y == 1, len(y) / (2 * positive), len(y) / (2 * (len(y) - positive)))
    sign = 2 * y - 1

    def loss(params: np.ndarray) -> tuple[float, np.ndarray]:
        coef, bias = params[:-1], params[-1]
        margin = sign * (x @ coef + bias)
        # log(1 + exp(-margin)), stable for large |margin|
        value = c * float(weight @ np.logaddexp(0, -margin)) + 0.5 * float(coef @ coef)
        slope = -c * weight * sign / (1 + np.exp(margin))
        grad = np.append(x.T @ slope + coef, slope.sum())
        return value, grad

    start = np.zeros(x.shape[1] + 1)
    result = optimize.minimize(loss, start, jac=True, method="L-BFGS-B", options={"maxiter": 5000, "gtol": 1e-6})
    return result.x[:-1], float(result.x[-1])


def _fit_softmax(x: sparse.csr_matrix, classes: np.ndarray, k: int, c: float) -> tuple[np.ndarray, np.ndarray]:
    """Coefficients (features x k) and intercepts (k) of a multinomial logistic regression:
    c * summed log loss + |coef|^2 / 2, the intercepts unpenalised. One class: all zeros."""
    if k < 2:
        return np.zeros((x.shape[1], k)), np.zeros(k)
    onehot = np.zeros((len(classes), k))
    onehot[np.arange(len(classes)), classes] = 1
    features = x.shape[1]

    def loss(params: np.ndarray) -> tuple[float, np.ndarray]:
        coef, bias = params[: features * k].reshape(features, k), params[features * k:]
        logits = x @ coef + bias
        logits -= logits.max(axis=1, keepdims=True)
        log_norm = np.log(np.exp(logits).sum(axis=1, keepdims=True))
        value = -c * float((onehot * (logits - log_norm)).sum()) + 0.5 * float((coef * coef).sum())
        diff = c * (np.exp(logits - log_norm) - onehot)
        grad = np.concatenate([(x.T @ diff + coef).ravel(), diff.sum(axis=0)])
        return value, grad

    start = np.zeros(features * k + k)
    result = optimize.minimize(loss, start, jac=True, method="L-BFGS-B", options={"maxiter": 5000, "gtol": 1e-6})
    return result.x[: features * k].reshape(features, k), result.x[features * k:]
