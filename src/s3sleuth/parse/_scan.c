/*
 * s3sleuth.parse._scan: the compiled part of the fast path.
 *
 * Small loops that numpy cannot do without a Python-level pass per line or
 * a copy per token:
 *
 *   lines        cuts a block into lines (LF, with a CR before it dropped).
 *   tokenize     splits lines into field tokens, and keeps only lines whose split is certain:
 *                one space between tokens, no empty token, the Time field as one 28-byte
 *                "[...]" token, the three quoted slots all quoted (content without a quote)
 *                or all bare, no quote anywhere else, no CR, valid UTF-8.
 *   gather       copies token byte ranges into one Arrow binary/string column.
 *   integers     decimal tokens -> values, with the canonical-form check.
 *   decode_keys  percent-decodes keys once or twice, flagging layers that are not UTF-8.
 *   timestamps   canonical Time tokens -> epoch seconds and days.
 *
 * Everything it returns is checked again in Python (parse/split_compiled.py, parse/typed.py):
 * a line this module accepts still goes to the reference parser unless every field is
 * canonical. Buffers come in and go out through the buffer protocol (bytes), so building
 * needs no numpy headers. The loops release the GIL: ingest parses on threads.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

#define TIME_TOKEN 2       /* 0-based index of the Time field */
#define TIME_WIDTH 28      /* "[dd/Mon/yyyy:HH:MM:SS +0000]" */
#define TIME_SPACE 21      /* where the space inside it sits */
#define MIN_TOKENS 17
#define REQUEST_URI 8      /* 0-based indices of the three quoted fields */
#define REFERER 15
#define USER_AGENT 16
#define SLACK 16         /* gather: tokens this short are copied as one 16-byte block */

/* Byte classes for the scanning loops. */
enum { PLAIN = 0, SPACE = 1, QUOTE = 2, CR = 3, HIGH = 4 };
static unsigned char byte_class[256];

static void init_classes(void) {
    for (int c = 0; c < 256; c++)
        byte_class[c] = c >= 0x80 ? HIGH : PLAIN;
    byte_class[' '] = SPACE;
    byte_class['"'] = QUOTE;
    byte_class['\r'] = CR;
}

/* Eight bytes at a time: nonzero when any byte of x is a space, a quote, a CR or >= 0x80. */
#define ONES 0x0101010101010101ULL
#define HIGHS 0x8080808080808080ULL
static inline uint64_t zero_byte(uint64_t y) { return (y - ONES) & ~y & HIGHS; }
static inline uint64_t special(uint64_t x) {
    return zero_byte(x ^ (ONES * ' ')) | zero_byte(x ^ (ONES * '"')) | zero_byte(x ^ (ONES * '\r'))
           | (x & HIGHS);
}

/* The first position in [i, end) of a byte that is not PLAIN, or end. */
static inline int64_t skip_plain(const unsigned char *d, int64_t i, int64_t end) {
    uint64_t x;
    while (i + 8 <= end) {
        memcpy(&x, d + i, 8);
        if (special(x)) break;
        i += 8;
    }
    while (i < end && byte_class[d[i]] == PLAIN) i++;
    return i;
}

/* Strict UTF-8 (as Python's decoder): no overlongs, no surrogates, nothing above U+10FFFF. */
static int utf8_valid(const unsigned char *s, Py_ssize_t n) {
    Py_ssize_t i = 0;
    while (i < n) {
        unsigned char c = s[i];
        int more;
        unsigned char lo = 0x80, hi = 0xBF;
        if (c < 0x80) { i++; continue; }
        if (c >= 0xC2 && c <= 0xDF) more = 1;
        else if (c == 0xE0) { more = 2; lo = 0xA0; }
        else if ((c >= 0xE1 && c <= 0xEC) || c == 0xEE || c == 0xEF) more = 2;
        else if (c == 0xED) { more = 2; hi = 0x9F; }
        else if (c == 0xF0) { more = 3; lo = 0x90; }
        else if (c >= 0xF1 && c <= 0xF3) more = 3;
        else if (c == 0xF4) { more = 3; hi = 0x8F; }
        else return 0;
        if (i + more >= n) return 0; /* truncated sequence */
        if (s[i + 1] < lo || s[i + 1] > hi) return 0;
        for (int k = 2; k <= more; k++)
            if (s[i + k] < 0x80 || s[i + k] > 0xBF) return 0;
        i += more + 1;
    }
    return 1;
}

typedef struct {
    Py_buffer view;
    int held;
} Buf;

/* A contiguous buffer of `item`-byte integers (any buffer when item is 1). */
static int get_buf(PyObject *obj, Buf *b, Py_ssize_t item, const char *what) {
    if (PyObject_GetBuffer(obj, &b->view, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT) < 0) return -1;
    b->held = 1;
    if (item > 1 && (b->view.itemsize != item || b->view.len % item)) {
        PyErr_Format(PyExc_ValueError, "%s: expected %zd-byte integers", what, item);
        return -1;
    }
    return 0;
}

static void release(Buf *b) {
    if (b->held) PyBuffer_Release(&b->view);
    b->held = 0;
}

static PyObject *new_bytes(Py_ssize_t size, char **out) {
    PyObject *obj = PyBytes_FromStringAndSize(NULL, size);
    if (obj != NULL) *out = PyBytes_AS_STRING(obj);
    return obj;
}

/* Byte ranges of a buffer: int32 starts and lengths, each checked to lie inside it. */
typedef struct {
    Buf data, starts, lengths;
    Py_ssize_t n;
    const unsigned char *d;
    const int32_t *s, *l;
} Ranges;

static int get_ranges(PyObject *data, PyObject *starts, PyObject *lengths, Ranges *r) {
    if (get_buf(data, &r->data, 1, "data") < 0 || get_buf(starts, &r->starts, 4, "starts") < 0
        || get_buf(lengths, &r->lengths, 4, "lengths") < 0)
        return -1;
    r->n = r->starts.view.len / 4;
    r->d = r->data.view.buf;
    r->s = r->starts.view.buf;
    r->l = r->lengths.view.buf;
    if (r->lengths.view.len / 4 != r->n) {
        PyErr_SetString(PyExc_ValueError, "starts and lengths differ in length");
        return -1;
    }
    for (Py_ssize_t i = 0; i < r->n; i++) {
        if (r->s[i] < 0 || r->l[i] < 0 || (int64_t)r->s[i] + r->l[i] > r->data.view.len) {
            PyErr_SetString(PyExc_ValueError, "a range lies outside the data");
            return -1;
        }
    }
    return 0;
}

/* The (data, starts, lengths) arguments of a function that takes only those. */
static int parse_ranges(PyObject *args, Ranges *r) {
    PyObject *data, *starts, *lengths;
    if (!PyArg_ParseTuple(args, "OOO", &data, &starts, &lengths)) return -1;
    return get_ranges(data, starts, lengths, r);
}

static void release_ranges(Ranges *r) {
    release(&r->data);
    release(&r->starts);
    release(&r->lengths);
}

/*
 * Split one line into at most `max_tokens` tokens. Returns the token count, or 0 when the
 * line's split is not certain. starts/lengths receive absolute offsets into the buffer; for a
 * quoted token, the range of its content (without the quotes).
 */
static int split_line(const unsigned char *d, int64_t start, int64_t end, int max_tokens,
                      int64_t *starts, int64_t *lengths, int *quoted) {
    int64_t pos = start;
    int t = 0, quotes = 0, high = 0;
    if (end <= start) return 0;
    for (;;) {
        int64_t token_end;
        if (t >= max_tokens) return 0;
        if (t == TIME_TOKEN) {
            if (d[pos] != '[' || end - pos < TIME_WIDTH || d[pos + TIME_SPACE] != ' '
                || d[pos + TIME_WIDTH - 1] != ']')
                return 0;
            /* The Python check reads every one of the 28 bytes as a digit or a literal. */
            token_end = pos + TIME_WIDTH;
            starts[t] = pos;
            lengths[t] = TIME_WIDTH;
        } else if ((t == REQUEST_URI || t == REFERER || t == USER_AGENT) && d[pos] == '"') {
            const unsigned char *close = memchr(d + pos + 1, '"', (size_t)(end - pos - 1));
            if (close == NULL) return 0;
            token_end = (close - d) + 1;
            for (int64_t i = skip_plain(d, pos + 1, token_end - 1); i < token_end - 1;
                 i = skip_plain(d, i + 1, token_end - 1)) {
                unsigned char k = byte_class[d[i]];
                if (k == CR) return 0;
                high |= k == HIGH; /* a space inside quotes is part of the field */
            }
            starts[t] = pos + 1;
            lengths[t] = token_end - pos - 2;
            quotes++;
        } else {
            int64_t i = skip_plain(d, pos, end);
            for (; i < end; i = skip_plain(d, i + 1, end)) {
                unsigned char k = byte_class[d[i]];
                if (k == SPACE) break;
                if (k != HIGH) return 0; /* a quote outside the quoted slots, or a CR */
                high = 1;
            }
            if (i == pos) return 0; /* an empty token: a doubled or leading space */
            token_end = i;
            starts[t] = pos;
            lengths[t] = i - pos;
        }
        t++;
        if (token_end == end) break;
        if (d[token_end] != ' ') return 0; /* text glued to a closing quote or to the Time */
        pos = token_end + 1;
        if (pos == end) return 0; /* a trailing space */
    }
    if (t < MIN_TOKENS || (quotes != 0 && quotes != 3)) return 0;
    if (high && !utf8_valid(d + start, end - start)) return 0;
    *quoted = quotes == 3;
    return t;
}

PyDoc_STRVAR(tokenize_doc,
"tokenize(data, starts, lengths, max_tokens, columns)\n"
"    -> (rows, counts, quoted, starts, lengths, dashes)\n\n"
"Split lines (int64 `starts`/`lengths` into `data`) into at most `max_tokens` field tokens.\n"
"Returns, for the m lines whose split is certain: their indices (int64), token counts\n"
"(int64), whether their quoted slots are quoted (uint8), and the first `columns` tokens'\n"
"starts and lengths as int32 matrices of shape (columns, m), zero past a line's count,\n"
"and whether each of those tokens is '-' (uint8, same shape). Other lines are left out.");

static PyObject *tokenize(PyObject *self, PyObject *args) {
    (void)self;
    PyObject *data_obj, *starts_obj, *lengths_obj;
    int max_tokens, columns;
    Buf data = {0}, line_starts = {0}, line_lengths = {0};
    PyObject *result = NULL;
    if (!PyArg_ParseTuple(args, "OOOii", &data_obj, &starts_obj, &lengths_obj, &max_tokens,
                          &columns))
        return NULL;
    if (max_tokens < MIN_TOKENS || max_tokens > 256 || columns < 1 || columns > max_tokens) {
        PyErr_SetString(PyExc_ValueError,
                        "need 17 <= max_tokens <= 256 and 1 <= columns <= max_tokens");
        return NULL;
    }
    if (get_buf(data_obj, &data, 1, "data") < 0 || get_buf(starts_obj, &line_starts, 8, "starts") < 0
        || get_buf(lengths_obj, &line_lengths, 8, "lengths") < 0)
        goto done;
    Py_ssize_t n = line_starts.view.len / 8;
    if (line_lengths.view.len / 8 != n) {
        PyErr_SetString(PyExc_ValueError, "starts and lengths differ in length");
        goto done;
    }
    if (data.view.len > INT32_MAX) {
        PyErr_SetString(PyExc_OverflowError, "a block of more than 2 GiB");
        goto done;
    }
    const unsigned char *d = data.view.buf;
    const int64_t *ls = line_starts.view.buf, *ll = line_lengths.view.buf;
    for (Py_ssize_t i = 0; i < n; i++) {
        if (ls[i] < 0 || ll[i] < 0 || ls[i] + ll[i] > data.view.len) {
            PyErr_SetString(PyExc_ValueError, "a line lies outside the data");
            goto done;
        }
    }
    /* Tokens go straight into the field-major results (stride n), so each field's tokens are
       contiguous; once the m lines kept are known, the columns are moved together. */
    char *rows_p = NULL, *counts_p = NULL, *quoted_p = NULL, *starts_p = NULL, *lengths_p = NULL;
    char *dash_p = NULL;
    PyObject *rows = new_bytes(n * 8, &rows_p), *counts = new_bytes(n * 8, &counts_p);
    PyObject *quoted = new_bytes(n, &quoted_p);
    PyObject *tok_starts = new_bytes(n * columns * 4, &starts_p);
    PyObject *tok_lengths = new_bytes(n * columns * 4, &lengths_p);
    PyObject *dashes = new_bytes(n * columns, &dash_p);
    int64_t line_starts_tmp[256], line_lengths_tmp[256];
    if (!rows || !counts || !quoted || !tok_starts || !tok_lengths || !dashes) {
        Py_XDECREF(rows); Py_XDECREF(counts); Py_XDECREF(quoted);
        Py_XDECREF(tok_starts); Py_XDECREF(tok_lengths); Py_XDECREF(dashes);
        goto done;
    }
    int64_t *out_rows = (int64_t *)rows_p, *out_counts = (int64_t *)counts_p;
    int32_t *ts = (int32_t *)starts_p, *tl = (int32_t *)lengths_p;
    Py_ssize_t m = 0;
    Py_BEGIN_ALLOW_THREADS
    for (Py_ssize_t i = 0; i < n; i++) {
        int q = 0;
        int count = split_line(d, ls[i], ls[i] + ll[i], max_tokens, line_starts_tmp,
                               line_lengths_tmp, &q);
        if (count == 0) continue;
        for (int t = 0; t < columns; t++) {
            int32_t start = t < count ? (int32_t)line_starts_tmp[t] : 0;
            int32_t length = t < count ? (int32_t)line_lengths_tmp[t] : 0;
            ts[(Py_ssize_t)t * n + m] = start;
            tl[(Py_ssize_t)t * n + m] = length;
            dash_p[(Py_ssize_t)t * n + m] = (char)(length == 1 && d[start] == '-');
        }
        out_rows[m] = i;
        out_counts[m] = count;
        quoted_p[m] = (char)q;
        m++;
    }
    for (int t = 1; m < n && t < columns; t++) {
        memmove(ts + (Py_ssize_t)t * m, ts + (Py_ssize_t)t * n, (size_t)m * 4);
        memmove(tl + (Py_ssize_t)t * m, tl + (Py_ssize_t)t * n, (size_t)m * 4);
        memmove(dash_p + (Py_ssize_t)t * m, dash_p + (Py_ssize_t)t * n, (size_t)m);
    }
    Py_END_ALLOW_THREADS
    if (_PyBytes_Resize(&rows, m * 8) < 0 || _PyBytes_Resize(&counts, m * 8) < 0
        || _PyBytes_Resize(&quoted, m) < 0 || _PyBytes_Resize(&tok_starts, m * columns * 4) < 0
        || _PyBytes_Resize(&tok_lengths, m * columns * 4) < 0
        || _PyBytes_Resize(&dashes, m * columns) < 0) {
        Py_XDECREF(rows); Py_XDECREF(counts); Py_XDECREF(quoted);
        Py_XDECREF(tok_starts); Py_XDECREF(tok_lengths); Py_XDECREF(dashes);
        goto done;
    }
    result = Py_BuildValue("(NNNNNN)", rows, counts, quoted, tok_starts, tok_lengths, dashes);
done:
    release(&data);
    release(&line_starts);
    release(&line_lengths);
    return result;
}

PyDoc_STRVAR(gather_doc,
"gather(data, starts, lengths) -> (offsets, values)\n\n"
"Copy the byte ranges (int32 `starts`/`lengths` into `data`) into one Arrow binary column:\n"
"int32 offsets (one more than ranges) and the concatenated values.");

static PyObject *gather(PyObject *self, PyObject *args) {
    (void)self;
    Ranges r = {0};
    PyObject *result = NULL;
    if (parse_ranges(args, &r) < 0) goto done;
    Py_ssize_t n = r.n;
    const int32_t *s = r.s, *l = r.l;
    int64_t total = 0;
    for (Py_ssize_t i = 0; i < n; i++) total += l[i];
    if (total > INT32_MAX) {
        PyErr_SetString(PyExc_OverflowError, "more than 2 GiB of values for one column");
        goto done;
    }
    char *op = NULL, *vp = NULL;
    PyObject *offsets = new_bytes((n + 1) * 4, &op);
    /* SLACK bytes past the end let a short token be copied as one fixed-size block. */
    PyObject *values = new_bytes((Py_ssize_t)total + SLACK, &vp);
    if (offsets && values) {
        int32_t *o = (int32_t *)op;
        const unsigned char *d = r.d;
        Py_ssize_t len = r.data.view.len;
        int32_t at = 0;
        Py_BEGIN_ALLOW_THREADS
        for (Py_ssize_t i = 0; i < n; i++) {
            o[i] = at;
            if (l[i] <= SLACK && (int64_t)s[i] + SLACK <= len)
                memcpy(vp + at, d + s[i], SLACK);
            else
                memcpy(vp + at, d + s[i], (size_t)l[i]);
            at += l[i];
        }
        o[n] = at;
        Py_END_ALLOW_THREADS
        if (_PyBytes_Resize(&values, (Py_ssize_t)total) < 0) {
            Py_DECREF(offsets);
            goto done;
        }
        result = Py_BuildValue("(NN)", offsets, values);
    } else {
        Py_XDECREF(offsets);
        Py_XDECREF(values);
    }
done:
    release_ranges(&r);
    return result;
}

PyDoc_STRVAR(integers_doc,
"integers(data, starts, lengths, max_digits) -> (values, ok)\n\n"
"Decimal tokens (int32 `starts`/`lengths`) -> int64 values and uint8 ok: ok when the token is canonical (1 to\n"
"`max_digits` digits, no leading zero). Other tokens give value 0 and ok 0; the caller\n"
"decides about '-' and ranges.");

static PyObject *integers(PyObject *self, PyObject *args) {
    (void)self;
    PyObject *data_obj, *starts_obj, *lengths_obj;
    int max_digits;
    Ranges r = {0};
    PyObject *result = NULL;
    if (!PyArg_ParseTuple(args, "OOOi", &data_obj, &starts_obj, &lengths_obj, &max_digits))
        return NULL;
    if (max_digits < 1 || max_digits > 18) {
        PyErr_SetString(PyExc_ValueError, "max_digits must be between 1 and 18");
        return NULL;
    }
    if (get_ranges(data_obj, starts_obj, lengths_obj, &r) < 0) goto done;
    Py_ssize_t n = r.n;
    const int32_t *s = r.s, *l = r.l;
    char *vp = NULL, *okp = NULL;
    PyObject *values = new_bytes(n * 8, &vp), *ok = new_bytes(n, &okp);
    if (values && ok) {
        int64_t *v = (int64_t *)vp;
        const unsigned char *d = r.d;
        Py_BEGIN_ALLOW_THREADS
        for (Py_ssize_t i = 0; i < n; i++) {
            int64_t value = 0;
            int good = l[i] >= 1 && l[i] <= max_digits;
            if (good && l[i] > 1 && d[s[i]] == '0') good = 0;
            for (int32_t k = 0; good && k < l[i]; k++) {
                unsigned char c = d[s[i] + k];
                if (c < '0' || c > '9') good = 0;
                else value = value * 10 + (c - '0');
            }
            v[i] = good ? value : 0;
            okp[i] = (char)good;
        }
        Py_END_ALLOW_THREADS
        result = Py_BuildValue("(NN)", values, ok);
    } else {
        Py_XDECREF(values);
        Py_XDECREF(ok);
    }
done:
    release_ranges(&r);
    return result;
}

PyDoc_STRVAR(lines_doc,
"lines(data) -> (starts, lengths)\n\n"
"Cut `data` into lines at LF: int64 starts and lengths. A CR before the LF is part of the\n"
"terminator, not of the line; a last line without an LF still counts.");

static PyObject *lines(PyObject *self, PyObject *args) {
    (void)self;
    PyObject *data_obj;
    Buf data = {0};
    PyObject *result = NULL;
    if (!PyArg_ParseTuple(args, "O", &data_obj)) return NULL;
    if (get_buf(data_obj, &data, 1, "data") < 0) goto done;
    const char *d = data.view.buf;
    Py_ssize_t len = data.view.len, n = 0;
    for (const char *p = d; (p = memchr(p, '\n', (size_t)(len - (p - d)))) != NULL; p++) n++;
    if (len > 0 && d[len - 1] != '\n') n++;
    char *sp = NULL, *lp = NULL;
    PyObject *starts = new_bytes(n * 8, &sp), *lengths = new_bytes(n * 8, &lp);
    if (starts && lengths) {
        int64_t *st = (int64_t *)sp, *ln = (int64_t *)lp;
        Py_ssize_t i = 0, start = 0;
        Py_BEGIN_ALLOW_THREADS
        while (start < len) {
            const char *nl = memchr(d + start, '\n', (size_t)(len - start));
            Py_ssize_t end = nl ? nl - d : len;
            Py_ssize_t stop = end > start && d[end - 1] == '\r' ? end - 1 : end;
            st[i] = start;
            ln[i] = stop - start;
            i++;
            start = end + 1;
        }
        Py_END_ALLOW_THREADS
        result = Py_BuildValue("(NN)", starts, lengths);
    } else {
        Py_XDECREF(starts);
        Py_XDECREF(lengths);
    }
done:
    release(&data);
    return result;
}

static int hex_value(unsigned char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* One layer of %XX decoding (a malformed escape is kept as it is); returns the new length. */
static int32_t percent_decode(const unsigned char *src, int32_t n, unsigned char *dst) {
    int32_t out = 0;
    for (int32_t i = 0; i < n; i++) {
        int hi, lo;
        if (src[i] == '%' && i + 2 < n
            && (hi = hex_value(src[i + 1])) >= 0 && (lo = hex_value(src[i + 2])) >= 0) {
            dst[out++] = (unsigned char)(hi * 16 + lo);
            i += 2;
        } else {
            dst[out++] = src[i];
        }
    }
    return out;
}

PyDoc_STRVAR(decode_keys_doc,
"decode_keys(data, starts, lengths, passes) -> (offsets, values, bad)\n\n"
"Percent-decode each key (int32 `starts`/`lengths` into `data`) `passes[i]` times (uint8,\n"
"1 or 2) into one Arrow binary column; `bad` (uint8) marks keys where a layer is not\n"
"valid UTF-8, which the caller leaves to the reference parser.");

static PyObject *decode_keys(PyObject *self, PyObject *args) {
    (void)self;
    PyObject *data_obj, *starts_obj, *lengths_obj, *passes_obj;
    Ranges r = {0};
    Buf passes = {0};
    PyObject *result = NULL;
    unsigned char *scratch = NULL;
    if (!PyArg_ParseTuple(args, "OOOO", &data_obj, &starts_obj, &lengths_obj, &passes_obj))
        return NULL;
    if (get_ranges(data_obj, starts_obj, lengths_obj, &r) < 0
        || get_buf(passes_obj, &passes, 1, "passes") < 0)
        goto done;
    Py_ssize_t n = r.n;
    const int32_t *s = r.s, *l = r.l;
    const unsigned char *twice = passes.view.buf;
    if (passes.view.len != n) {
        PyErr_SetString(PyExc_ValueError, "passes and the ranges differ in length");
        goto done;
    }
    int64_t total = 0;
    int32_t longest = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        total += l[i];
        if (l[i] > longest) longest = l[i];
    }
    if (total > INT32_MAX) {
        PyErr_SetString(PyExc_OverflowError, "more than 2 GiB of keys");
        goto done;
    }
    char *op = NULL, *vp = NULL, *bp = NULL;
    PyObject *offsets = new_bytes((n + 1) * 4, &op);
    PyObject *values = new_bytes((Py_ssize_t)total, &vp);  /* decoding never lengthens */
    PyObject *bad = new_bytes(n, &bp);
    scratch = PyMem_Malloc((size_t)longest + 1);
    if (!offsets || !values || !bad || !scratch) {
        Py_XDECREF(offsets); Py_XDECREF(values); Py_XDECREF(bad);
        if (!PyErr_Occurred()) PyErr_NoMemory();
        goto done;
    }
    int32_t *o = (int32_t *)op, at = 0;
    const unsigned char *d = r.d;
    unsigned char *v = (unsigned char *)vp;
    Py_BEGIN_ALLOW_THREADS
    for (Py_ssize_t i = 0; i < n; i++) {
        const unsigned char *src = d + s[i];
        int32_t len = l[i];
        int broken = 0;
        o[i] = at;
        if (memchr(src, '%', (size_t)len) == NULL) { /* nothing to decode: the common case */
            memcpy(v + at, src, (size_t)len);
            at += len;
            bp[i] = 0;
            continue;
        }
        int32_t once = percent_decode(src, len, scratch);
        broken = !utf8_valid(scratch, once);
        if (twice[i] == 2) {
            int32_t again = percent_decode(scratch, once, v + at);
            broken |= !utf8_valid(v + at, again);
            at += again;
        } else {
            memcpy(v + at, scratch, (size_t)once);
            at += once;
        }
        bp[i] = (char)broken;
    }
    o[n] = at;
    Py_END_ALLOW_THREADS
    if (_PyBytes_Resize(&values, at) < 0) {
        Py_DECREF(offsets); Py_DECREF(bad);
        goto done;
    }
    result = Py_BuildValue("(NNN)", offsets, values, bad);
done:
    PyMem_Free(scratch);
    release_ranges(&r);
    release(&passes);
    return result;
}

static const char MONTHS[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm). */
static int64_t days_from_civil(int64_t y, int64_t m, int64_t d) {
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static int two_digits(const unsigned char *p, int *out) {
    if (p[0] < '0' || p[0] > '9' || p[1] < '0' || p[1] > '9') return 0;
    *out = (p[0] - '0') * 10 + (p[1] - '0');
    return 1;
}

/* "[dd/Mon/yyyy:HH:MM:SS +0000]" -> epoch seconds; 0 when not in exactly that form. */
static int parse_time(const unsigned char *p, int64_t *seconds, int64_t *days) {
    static const int month_days[13] = {0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int day, hour, minute, second, century, year2, month = 0;
    if (p[0] != '[' || p[3] != '/' || p[7] != '/' || p[12] != ':' || p[15] != ':'
        || p[18] != ':' || memcmp(p + 21, " +0000]", 7) != 0)
        return 0;
    if (!two_digits(p + 1, &day) || !two_digits(p + 8, &century) || !two_digits(p + 10, &year2)
        || !two_digits(p + 13, &hour) || !two_digits(p + 16, &minute)
        || !two_digits(p + 19, &second))
        return 0;
    for (int k = 0; k < 12; k++)
        if (memcmp(p + 4, MONTHS[k], 3) == 0) month = k + 1;
    int year = century * 100 + year2;
    int leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    int length = month ? month_days[month] + (month == 2 && leap) : 0;
    if (!month || year < 1 || day < 1 || day > length || hour > 23 || minute > 59 || second > 59)
        return 0;
    *days = days_from_civil(year, month, day);
    *seconds = *days * 86400 + hour * 3600 + minute * 60 + second;
    return 1;
}

PyDoc_STRVAR(timestamps_doc,
"timestamps(data, starts, lengths) -> (seconds, days, valid, ok)\n\n"
"Time tokens (int32 `starts`/`lengths` into `data`) in the canonical form\n"
"'[dd/Mon/yyyy:HH:MM:SS +0000]' -> int64 epoch seconds and days, uint8 valid (not '-') and\n"
"ok ('-' or canonical). Rows that are not ok get zeros.");

static PyObject *timestamps(PyObject *self, PyObject *args) {
    (void)self;
    Ranges r = {0};
    PyObject *result = NULL;
    if (parse_ranges(args, &r) < 0) goto done;
    Py_ssize_t n = r.n;
    const int32_t *s = r.s, *l = r.l;
    char *sp = NULL, *dp = NULL, *vp = NULL, *op = NULL;
    PyObject *secs = new_bytes(n * 8, &sp), *days = new_bytes(n * 8, &dp);
    PyObject *valid = new_bytes(n, &vp), *ok = new_bytes(n, &op);
    if (secs && days && valid && ok) {
        const unsigned char *d = r.d;
        int64_t *out_s = (int64_t *)sp, *out_d = (int64_t *)dp;
        Py_BEGIN_ALLOW_THREADS
        for (Py_ssize_t i = 0; i < n; i++) {
            int dash = l[i] == 1 && d[s[i]] == '-';
            int good = !dash && l[i] == TIME_WIDTH && parse_time(d + s[i], out_s + i, out_d + i);
            if (!good) out_s[i] = out_d[i] = 0;
            vp[i] = (char)!dash;
            op[i] = (char)(dash || good);
        }
        Py_END_ALLOW_THREADS
        result = Py_BuildValue("(NNNN)", secs, days, valid, ok);
    } else {
        Py_XDECREF(secs); Py_XDECREF(days); Py_XDECREF(valid); Py_XDECREF(ok);
    }
done:
    release_ranges(&r);
    return result;
}

static PyMethodDef methods[] = {
    {"tokenize", tokenize, METH_VARARGS, tokenize_doc},
    {"gather", gather, METH_VARARGS, gather_doc},
    {"integers", integers, METH_VARARGS, integers_doc},
    {"lines", lines, METH_VARARGS, lines_doc},
    {"decode_keys", decode_keys, METH_VARARGS, decode_keys_doc},
    {"timestamps", timestamps, METH_VARARGS, timestamps_doc},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "s3sleuth.parse._scan",
    "The compiled part of the fast path: tokenizing, gathering and integer parsing.", -1,
    methods, NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC PyInit__scan(void) {
    init_classes();
    return PyModule_Create(&module);
}
