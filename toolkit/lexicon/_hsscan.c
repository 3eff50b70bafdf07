/* _hsscan: Hyperscan literal matching with the matches collected in C.
 *
 * The Python `hyperscan` binding calls back into Python for every match (taking the interpreter
 * lock, building the arguments): at 0.7 matches per post that is a large part of the lexicon
 * matcher's cost. Here the match callback only appends (end, id) to a C buffer, and `scan` hands
 * the whole batch back as one bytes object of native-endian int64 pairs, which numpy reads
 * without a copy (np.frombuffer).
 *
 * Threads: a scratch space is needed by every concurrent hs_scan. Each object keeps one scratch
 * behind a lock taken without waiting; a scan that finds it busy (another thread is scanning with
 * the same object) clones a private scratch from a pristine prototype and frees it afterwards. The
 * common single-threaded case so never allocates a scratch, and concurrent scans never wait for
 * one another. The interpreter lock is released around hs_scan: the callback touches no Python
 * object, and the scanned buffer stays valid (and, for a bytearray, unresizable) while we hold
 * the buffer view.
 */

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <pythread.h>

#include <limits.h>
#include <stdint.h>
#include <string.h>

#include <hs.h>

typedef struct {
    PyObject_HEAD
    hs_database_t *db;       /* NULL when there are no keys: every scan finds nothing */
    hs_scratch_t *proto;     /* never scanned with: what busy callers clone from */
    hs_scratch_t *scratch;   /* the object's own scratch, guarded by `lock` */
    PyThread_type_lock lock;
    Py_ssize_t count;        /* number of keys */
} LiteralsObject;

/* Matches found so far, as int64 pairs (end, id). */
typedef struct {
    int64_t *pairs;
    size_t used;      /* pairs stored */
    size_t capacity;  /* pairs allocated */
    int failed;       /* growing the buffer failed: the scan was stopped */
} Collector;

/* A first guess sized for a scan batch (about one match per hundred bytes of folded text), so a
 * typical batch needs no regrowth; small inputs still get a little room. */
#define FIRST_PAIRS_MIN ((size_t)64)
#define FIRST_PAIRS_MAX ((size_t)1 << 16)
/* The most pairs one scan may collect: the bytes result (16 bytes a pair) must fit in a
 * Py_ssize_t. Reaching it stops the scan with MemoryError instead of overflowing a size. */
#define MAX_PAIRS ((size_t)PY_SSIZE_T_MAX / (2 * sizeof(int64_t)))

static int
collector_grow(Collector *c)
{
    /* Doubling keeps the cost per match constant however many matches come; the buffer lives
     * only for one scan, so its slack is never held between scans. */
    size_t capacity = c->capacity ? c->capacity * 2 : FIRST_PAIRS_MIN;
    if (capacity > MAX_PAIRS || capacity < c->capacity)
        capacity = MAX_PAIRS;
    if (capacity <= c->used)
        return -1;
    /* The raw allocator is safe without the interpreter lock, which the scan has released. */
    int64_t *pairs = PyMem_RawRealloc(c->pairs, capacity * 2 * sizeof(int64_t));
    if (pairs == NULL)
        return -1;
    c->pairs = pairs;
    c->capacity = capacity;
    return 0;
}

static int
on_match(unsigned int id, unsigned long long from, unsigned long long to, unsigned int flags, void *context)
{
    (void)from;
    (void)flags;
    Collector *c = context;
    if (c->used == c->capacity && collector_grow(c) < 0) {
        c->failed = 1;
        return 1; /* stop the scan */
    }
    c->pairs[2 * c->used] = (int64_t)to;
    c->pairs[2 * c->used + 1] = (int64_t)id;
    c->used++;
    return 0;
}

/* Free what the object holds (scratches, database, lock) and clear the pointers. */
static void
Literals_release(LiteralsObject *self)
{
    if (self->scratch != NULL)
        hs_free_scratch(self->scratch);
    if (self->proto != NULL)
        hs_free_scratch(self->proto);
    if (self->db != NULL)
        hs_free_database(self->db);
    if (self->lock != NULL)
        PyThread_free_lock(self->lock);
    self->scratch = self->proto = NULL;
    self->db = NULL;
    self->lock = NULL;
}

static void
Literals_dealloc(LiteralsObject *self)
{
    Literals_release(self);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static int
Literals_init(LiteralsObject *self, PyObject *args, PyObject *kwargs)
{
    static char *kwlist[] = {"keys", NULL};
    PyObject *keys_arg;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "O:Literals", kwlist, &keys_arg))
        return -1;
    if (self->db != NULL || self->lock != NULL) {
        PyErr_SetString(PyExc_RuntimeError, "Literals is already initialised");
        return -1;
    }
    PyObject *keys = PySequence_Fast(keys_arg, "keys must be a list of bytes");
    if (keys == NULL)
        return -1;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(keys);
    int status = -1;
    const char **expressions = NULL;
    size_t *lengths = NULL;
    unsigned *flags = NULL, *ids = NULL;
    hs_compile_error_t *error = NULL;

    if ((size_t)n > UINT_MAX) {
        PyErr_SetString(PyExc_ValueError, "too many keys for Hyperscan");
        goto done;
    }
    PyObject **items = PySequence_Fast_ITEMS(keys);
    for (Py_ssize_t i = 0; i < n; i++) {
        if (!PyBytes_Check(items[i])) {
            PyErr_Format(PyExc_TypeError, "key %zd is %.100s, not bytes", i, Py_TYPE(items[i])->tp_name);
            goto done;
        }
        if (PyBytes_GET_SIZE(items[i]) == 0) { /* Hyperscan 5.4 crashes compiling an empty literal */
            PyErr_Format(PyExc_ValueError, "key %zd is empty: a literal must have at least one byte", i);
            goto done;
        }
    }
    self->lock = PyThread_allocate_lock();
    if (self->lock == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    self->count = n;
    if (n == 0) { /* Hyperscan cannot compile an empty set: scans of an empty set find nothing */
        status = 0;
        goto done;
    }
    expressions = PyMem_Calloc((size_t)n, sizeof(*expressions));
    lengths = PyMem_Calloc((size_t)n, sizeof(*lengths));
    flags = PyMem_Calloc((size_t)n, sizeof(*flags));
    ids = PyMem_Calloc((size_t)n, sizeof(*ids));
    if (expressions == NULL || lengths == NULL || flags == NULL || ids == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        expressions[i] = PyBytes_AS_STRING(items[i]);
        lengths[i] = (size_t)PyBytes_GET_SIZE(items[i]);
        ids[i] = (unsigned)i; /* flags stay 0 */
    }
    hs_error_t err;
    hs_database_t *db = NULL;
    /* Compiling thousands of keys takes a while: let other threads run (the keys list is ours). */
    Py_BEGIN_ALLOW_THREADS
    err = hs_compile_lit_multi(expressions, flags, ids, lengths, (unsigned)n, HS_MODE_BLOCK, NULL, &db, &error);
    Py_END_ALLOW_THREADS
    if (err != HS_SUCCESS) {
        if (error != NULL && error->expression >= 0)
            PyErr_Format(PyExc_ValueError, "key %d (%.60R): %s", error->expression,
                         items[error->expression], error->message);
        else
            PyErr_Format(PyExc_RuntimeError, "Hyperscan could not compile the keys: %s",
                         error != NULL ? error->message : "unknown error");
        goto done;
    }
    self->db = db;
    if (hs_alloc_scratch(self->db, &self->proto) != HS_SUCCESS ||
        hs_clone_scratch(self->proto, &self->scratch) != HS_SUCCESS) {
        PyErr_SetString(PyExc_MemoryError, "Hyperscan could not allocate its scratch space");
        goto done;
    }
    status = 0;
done:
    if (status < 0) { /* leave nothing half-built behind a failed __init__ */
        Literals_release(self);
    }
    if (error != NULL)
        hs_free_compile_error(error);
    PyMem_Free(expressions);
    PyMem_Free(lengths);
    PyMem_Free(flags);
    PyMem_Free(ids);
    Py_DECREF(keys);
    return status;
}

static PyObject *
Literals_scan(LiteralsObject *self, PyObject *data)
{
    if (self->lock == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "Literals was not initialised");
        return NULL;
    }
    Py_buffer view;
    if (PyObject_GetBuffer(data, &view, PyBUF_SIMPLE) < 0)
        return NULL;
    if ((size_t)view.len > UINT_MAX) {
        PyBuffer_Release(&view);
        PyErr_SetString(PyExc_ValueError, "Hyperscan scans at most 4 GiB at a time");
        return NULL;
    }
    if (self->db == NULL) {
        PyBuffer_Release(&view);
        return PyBytes_FromStringAndSize(NULL, 0);
    }
    Collector c = {NULL, 0, 0, 0};
    c.capacity = (size_t)view.len / 128;
    c.capacity = c.capacity < FIRST_PAIRS_MIN ? FIRST_PAIRS_MIN : c.capacity > FIRST_PAIRS_MAX ? FIRST_PAIRS_MAX : c.capacity;
    c.pairs = PyMem_RawMalloc(c.capacity * 2 * sizeof(int64_t));
    if (c.pairs == NULL) {
        PyBuffer_Release(&view);
        return PyErr_NoMemory();
    }
    hs_error_t err = HS_SUCCESS;
    int cloned = 0;
    Py_BEGIN_ALLOW_THREADS
    hs_scratch_t *scratch = NULL;
    if (PyThread_acquire_lock(self->lock, NOWAIT_LOCK)) {
        scratch = self->scratch;
    } else {
        /* Another thread is scanning with this object: scan with a scratch of our own. */
        err = hs_clone_scratch(self->proto, &scratch);
        cloned = 1;
    }
    if (err == HS_SUCCESS)
        err = hs_scan(self->db, view.buf, (unsigned)view.len, 0, scratch, on_match, &c);
    if (cloned) {
        if (scratch != NULL)
            hs_free_scratch(scratch);
    } else {
        PyThread_release_lock(self->lock);
    }
    Py_END_ALLOW_THREADS
    PyBuffer_Release(&view);

    PyObject *result = NULL;
    if (c.failed)
        PyErr_NoMemory();
    else if (err != HS_SUCCESS)
        PyErr_Format(PyExc_RuntimeError, "Hyperscan could not scan (error %d)", (int)err);
    else
        result = PyBytes_FromStringAndSize((const char *)c.pairs, (Py_ssize_t)(c.used * 2 * sizeof(int64_t)));
    PyMem_RawFree(c.pairs);
    return result;
}

static Py_ssize_t
Literals_len(LiteralsObject *self)
{
    return self->count;
}

static PyMethodDef Literals_methods[] = {
    {"scan", (PyCFunction)Literals_scan, METH_O,
     "scan($self, data, /)\n--\n\n"
     "Every key found in `data` (any contiguous buffer), as native-endian int64 pairs\n"
     "(end offset, exclusive; key index), in the order Hyperscan reports them: by end offset."},
    {NULL, NULL, 0, NULL},
};

static PySequenceMethods Literals_as_sequence = {
    .sq_length = (lenfunc)Literals_len,
};

static PyTypeObject LiteralsType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "toolkit.lexicon._hsscan.Literals",
    .tp_basicsize = sizeof(LiteralsObject),
    .tp_dealloc = (destructor)Literals_dealloc,
    .tp_as_sequence = &Literals_as_sequence,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "Literals(keys)\n--\n\n"
              "The keys compiled as Hyperscan literals (block mode, no flags; key i has id i).\n"
              "An empty list is allowed: scanning then finds nothing. Safe to share between threads.",
    .tp_methods = Literals_methods,
    .tp_init = (initproc)Literals_init,
    .tp_new = PyType_GenericNew,
};

static PyObject *
hsscan_version(PyObject *module, PyObject *unused)
{
    (void)module;
    (void)unused;
    return PyUnicode_FromString(hs_version());
}

static PyMethodDef module_methods[] = {
    {"version", hsscan_version, METH_NOARGS, "The Hyperscan library's version string."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef hsscan_module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "toolkit.lexicon._hsscan",
    .m_doc = "Hyperscan literal matching with the matches collected in C (the lexicon matcher's native engine).",
    .m_size = -1,
    .m_methods = module_methods,
};

PyMODINIT_FUNC
PyInit__hsscan(void)
{
    /* On a CPU Hyperscan does not support (it needs SSSE3), importing fails, so the matcher
     * falls back to another engine instead of failing at its first compile. */
    if (hs_valid_platform() != HS_SUCCESS) {
        PyErr_SetString(PyExc_ImportError, "Hyperscan does not support this CPU");
        return NULL;
    }
    if (PyType_Ready(&LiteralsType) < 0)
        return NULL;
    PyObject *module = PyModule_Create(&hsscan_module);
    if (module == NULL)
        return NULL;
    Py_INCREF(&LiteralsType);
    if (PyModule_AddObject(module, "Literals", (PyObject *)&LiteralsType) < 0) {
        Py_DECREF(&LiteralsType);
        Py_DECREF(module);
        return NULL;
    }
    return module;
}
