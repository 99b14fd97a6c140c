/* popui.mail._field_scan: `wanted_values` and `date_stamp` of popui/mail/field_scan.py in C.
 *
 * The same functions as the Python ones there (wanted_values_python, date_stamp_python), which
 * stay as the reference and the fallback where no C compiler built this: tests check the two
 * agree on any bytes. They only read the bytes object they are given, within its length, and
 * return new objects; they cannot fail but for memory.
 */

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <string.h>

/* The field names a row needs, lower-case; `keys` holds them as interned str. */
static const char *const NAMES[] = {
    "from", "subject", "date", "to", "cc", "content-type", "content-disposition", "reply-to",
    "references", "message-id", "in-reply-to", "x-ms-has-attach",
};
#define N_NAMES (sizeof(NAMES) / sizeof(NAMES[0]))
#define LONGEST_NAME 19
static PyObject *keys[N_NAMES];
static Py_ssize_t name_lengths[N_NAMES];

static inline int lower(unsigned char c) { return (c >= 'A' && c <= 'Z') ? c + 32 : c; }

/* A field-name character: printable ASCII but ':' ([!-9;-~]). */
static inline int name_char(unsigned char c) { return c >= 0x21 && c <= 0x7E && c != ':'; }

static inline int blank(unsigned char c) { return c == ' ' || c == '\t'; }

/* Whether a field starts at `p`: name characters, blanks, ':' ([!-9;-~]+[ \t]*:). */
static int field_start(const unsigned char *s, Py_ssize_t p, Py_ssize_t n)
{
    Py_ssize_t k = p;
    while (k < n && name_char(s[k]))
        k++;
    if (k == p)
        return 0;
    while (k < n && blank(s[k]))
        k++;
    return k < n && s[k] == ':';
}

/* The index of the wanted name at `p` followed by [ \t]*: within `end`, and where the value
 * starts (after the ':'); -1 when there is none. */
static int wanted_name(const unsigned char *s, Py_ssize_t p, Py_ssize_t end, Py_ssize_t *value)
{
    Py_ssize_t k = p;
    while (k < end && k - p <= LONGEST_NAME && s[k] != ' ' && s[k] != '\t' && s[k] != ':'
           && s[k] != '\r' && s[k] != '\n')
        k++;
    Py_ssize_t length = k - p;
    if (length == 0 || length > LONGEST_NAME)
        return -1;
    while (k < end && blank(s[k]))
        k++;
    if (k >= end || s[k] != ':')
        return -1;
    for (size_t i = 0; i < N_NAMES; i++) {
        if (name_lengths[i] != length)
            continue;
        const char *name = NAMES[i];
        Py_ssize_t j = 0;
        while (j < length && lower(s[p + j]) == (unsigned char)name[j])
            j++;
        if (j == length) {
            *value = k + 1;
            return (int)i;
        }
    }
    return -1;
}

/* Where a value starting at `p` ends: [^\r\n]*(?:\r?\n[ \t][^\r\n]*)* within `end`. */
static Py_ssize_t value_end(const unsigned char *s, Py_ssize_t p, Py_ssize_t end)
{
    Py_ssize_t q = p;
    for (;;) {
        while (q < end && s[q] != '\r' && s[q] != '\n')
            q++;
        Py_ssize_t r = q;
        if (r < end && s[r] == '\r')
            r++;
        if (r + 1 < end && s[r] == '\n' && blank(s[r + 1])) {
            q = r + 2;
            continue;
        }
        return q;
    }
}

static inline int space(unsigned char c) { return c == ' ' || (c >= '\t' && c <= '\r'); }

/* The value s[p:q] unfolded (CR and LF dropped) and stripped, as Python's bytes.strip(). */
static PyObject *clean_value(const unsigned char *s, Py_ssize_t p, Py_ssize_t q)
{
    const unsigned char *newline = memchr(s + p, '\n', (size_t)(q - p));
    if (newline == NULL) {
        while (p < q && space(s[p]))
            p++;
        while (q > p && space(s[q - 1]))
            q--;
        return PyBytes_FromStringAndSize((const char *)s + p, q - p);
    }
    PyObject *out = PyBytes_FromStringAndSize(NULL, q - p);
    if (out == NULL)
        return NULL;
    char *o = PyBytes_AS_STRING(out);
    Py_ssize_t length = 0;
    for (Py_ssize_t i = p; i < q; i++)
        if (s[i] != '\r' && s[i] != '\n')
            o[length++] = (char)s[i];
    Py_ssize_t start = 0;
    while (start < length && space((unsigned char)o[start]))
        start++;
    while (length > start && space((unsigned char)o[length - 1]))
        length--;
    if (start > 0)
        memmove(o, o + start, (size_t)(length - start));
    if (_PyBytes_Resize(&out, length - start) < 0)
        return NULL;
    return out;
}

/* Add the field whose name starts at `p`, when it is wanted and not already there. */
static int add_field(PyObject *values, const unsigned char *s, Py_ssize_t p, Py_ssize_t end)
{
    Py_ssize_t start = 0;
    int which = wanted_name(s, p, end, &start);
    if (which < 0)
        return 0;
    int present = PyDict_Contains(values, keys[which]);
    if (present != 0)
        return present;  /* 1: the first value stays; -1: an error */
    PyObject *value = clean_value(s, start, value_end(s, start, end));
    if (value == NULL)
        return -1;
    int failed = PyDict_SetItem(values, keys[which], value);
    Py_DECREF(value);
    return failed;
}

static PyObject *wanted_values(PyObject *module, PyObject *arg)
{
    (void)module;
    if (!PyBytes_Check(arg)) {
        PyErr_SetString(PyExc_TypeError, "wanted_values() takes bytes");
        return NULL;
    }
    const unsigned char *s = (const unsigned char *)PyBytes_AS_STRING(arg);
    Py_ssize_t n = PyBytes_GET_SIZE(arg);
    if ((n >= 1 && s[0] == '\n') || (n >= 2 && s[0] == '\r' && s[1] == '\n'))
        return PyDict_New();
    if (!field_start(s, 0, n))
        Py_RETURN_NONE;
    /* The end of the field lines: after the first LF that starts neither a continuation nor a
     * field, which must be the empty line. */
    Py_ssize_t end = n;
    for (const unsigned char *lf = memchr(s, '\n', (size_t)n); lf != NULL;
         lf = memchr(lf + 1, '\n', (size_t)(n - (lf + 1 - s)))) {
        Py_ssize_t next = lf + 1 - s;
        if (next < n && blank(s[next]))
            continue;
        if (field_start(s, next, n))
            continue;
        end = next;
        break;
    }
    if (end < n && s[end] != '\n' && !(end + 1 < n && s[end] == '\r' && s[end + 1] == '\n'))
        Py_RETURN_NONE;
    /* A CR that is not followed by LF (within the field lines) needs split_message. */
    for (const unsigned char *cr = memchr(s, '\r', (size_t)end); cr != NULL;
         cr = memchr(cr + 1, '\r', (size_t)(end - (cr + 1 - s)))) {
        Py_ssize_t at = cr - s;
        if (at + 1 >= end || s[at + 1] != '\n')
            Py_RETURN_NONE;
    }
    PyObject *values = PyDict_New();
    if (values == NULL)
        return NULL;
    if (add_field(values, s, 0, end) < 0)
        goto error;
    for (const unsigned char *lf = memchr(s, '\n', (size_t)end); lf != NULL;
         lf = memchr(lf + 1, '\n', (size_t)(end - (lf + 1 - s)))) {
        Py_ssize_t next = lf + 1 - s;
        if (next < end && add_field(values, s, next, end) < 0)
            goto error;
    }
    return values;
error:
    Py_DECREF(values);
    return NULL;
}

/* -- date_stamp ------------------------------------------------------------------------------ */

static const char *const DAYS = "MonTueWedThuFriSatSun";
static const char *const MONTHS = "JanFebMarAprMayJunJulAugSepOctNovDec";

static inline int is_digit(unsigned char c) { return c >= '0' && c <= '9'; }

/* The number in the `count` digits at s[*i], moving *i past them; -1 when they are not all
 * digits (or the text ends). */
static long number(const unsigned char *s, Py_ssize_t n, Py_ssize_t *i, int count)
{
    long value = 0;
    for (int k = 0; k < count; k++, (*i)++) {
        if (*i >= n || !is_digit(s[*i]))
            return -1;
        value = value * 10 + (s[*i] - '0');
    }
    return value;
}

static inline int expect(const unsigned char *s, Py_ssize_t n, Py_ssize_t *i, unsigned char c)
{
    if (*i < n && s[*i] == c) {
        (*i)++;
        return 1;
    }
    return 0;
}

/* The index (0-based) of the three letters at s[*i] in `names`, moving *i past them; -1. */
static int three_letters(const unsigned char *s, Py_ssize_t n, Py_ssize_t *i, const char *names,
                         int count)
{
    if (*i + 3 > n)
        return -1;
    for (int k = 0; k < count; k++)
        if (memcmp(s + *i, names + 3 * k, 3) == 0) {
            *i += 3;
            return k;
        }
    return -1;
}

/* Days from 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's days_from_civil). */
static long long days_from_civil(long y, long m, long d)
{
    y -= m <= 2;
    long era = y / 400;  /* y >= 1899 here */
    long yoe = y - era * 400;
    long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return (long long)era * 146097 + doe - 719468;
}

static int days_in_month(long y, long m)
{
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        return 29;
    return days[m - 1];
}

/* A comment's character: printable ASCII but "(", ")" and "=" ([ -'*-<>-~]). */
static inline int comment_char(unsigned char c)
{
    return c >= 0x20 && c <= 0x7E && c != '(' && c != ')' && c != '=';
}

static PyObject *date_stamp(PyObject *module, PyObject *arg)
{
    (void)module;
    if (!PyBytes_Check(arg)) {
        PyErr_SetString(PyExc_TypeError, "date_stamp() takes bytes");
        return NULL;
    }
    const unsigned char *s = (const unsigned char *)PyBytes_AS_STRING(arg);
    Py_ssize_t n = PyBytes_GET_SIZE(arg), i = 0;
    /* (?:(?:Mon|...|Sun), )?([0-9]{1,2}) (Jan|...|Dec) ([0-9]{4}) ([0-9]{2}):([0-9]{2})
     * (?::([0-9]{2}))? ([+-])([0-9]{2})([0-9]{2})(?: \([ -'*-<>-~]*\))? as a whole */
    Py_ssize_t named = 0;
    if (three_letters(s, n, &named, DAYS, 7) >= 0 && expect(s, n, &named, ',')
        && expect(s, n, &named, ' '))
        i = named;
    long day = number(s, n, &i, 1);
    if (day < 0)
        Py_RETURN_NONE;
    if (i < n && is_digit(s[i]))
        day = day * 10 + (s[i++] - '0');
    if (!expect(s, n, &i, ' '))
        Py_RETURN_NONE;
    int month = three_letters(s, n, &i, MONTHS, 12) + 1;
    if (month == 0 || !expect(s, n, &i, ' '))
        Py_RETURN_NONE;
    long year = number(s, n, &i, 4);
    if (year < 0 || !expect(s, n, &i, ' '))
        Py_RETURN_NONE;
    long hour = number(s, n, &i, 2);
    if (hour < 0 || !expect(s, n, &i, ':'))
        Py_RETURN_NONE;
    long minute = number(s, n, &i, 2), second = 0;
    if (minute < 0)
        Py_RETURN_NONE;
    if (expect(s, n, &i, ':') && (second = number(s, n, &i, 2)) < 0)
        Py_RETURN_NONE;
    if (!expect(s, n, &i, ' ') || i >= n || (s[i] != '+' && s[i] != '-'))
        Py_RETURN_NONE;
    int negative = s[i++] == '-';
    long zone_hours = number(s, n, &i, 2);
    long zone_minutes = zone_hours < 0 ? -1 : number(s, n, &i, 2);
    if (zone_minutes < 0)
        Py_RETURN_NONE;
    if (i < n) {  /* a comment, to the end */
        if (!expect(s, n, &i, ' ') || !expect(s, n, &i, '('))
            Py_RETURN_NONE;
        while (i < n && comment_char(s[i]))
            i++;
        if (!expect(s, n, &i, ')') || i != n)
            Py_RETURN_NONE;
    }
    /* date_fields, then utc_stamp */
    long offset = zone_hours * 3600 + zone_minutes * 60;
    if (negative)
        offset = -offset;
    if (year < 100)  /* "0024": email.utils reads it as a two-digit year */
        year += year > 68 ? 1900 : 2000;
    if (year < 1900 || year > 9000 || offset <= -86400 || offset >= 86400 || hour > 23
        || minute > 59 || second > 59 || day < 1 || day > days_in_month(year, month))
        return Py_BuildValue("(OO)", Py_None, Py_None);
    long long stamp = days_from_civil(year, month, day) * 86400 + hour * 3600 + minute * 60
                      + second - offset;
    return Py_BuildValue("(Ll)", stamp, offset);
}

static PyMethodDef methods[] = {
    {"wanted_values", wanted_values, METH_O,
     "The first values of the fields a list row needs; None when split_message must judge."},
    {"date_stamp", date_stamp, METH_O,
     "UTC seconds and offset of a Date in the common shape; None for another shape."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module_def = {
    PyModuleDef_HEAD_INIT, "_field_scan", "field_scan.wanted_values and date_stamp in C.", -1, methods,
    NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC PyInit__field_scan(void)
{
    for (size_t i = 0; i < N_NAMES; i++) {
        name_lengths[i] = (Py_ssize_t)strlen(NAMES[i]);
        if (keys[i] == NULL && (keys[i] = PyUnicode_InternFromString(NAMES[i])) == NULL)
            return NULL;
    }
    return PyModule_Create(&module_def);
}
