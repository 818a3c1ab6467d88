/* jv.c - see jv.h. A struct jv pointer is a json_t pointer in disguise: the
 * type is never defined, so callers cannot reach into jansson, and this file
 * is the only one that knows. */
#include "jv.h"

#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>

#include "err.h"

static json_t *J(const struct jv *v)
{
    return (json_t *)(uintptr_t)v;
}

static const struct jv *V(const json_t *j)
{
    return (const struct jv *)j;
}

/* Jansson stops at its own compile-time depth (2048); the node's limit is
 * much lower, so measure after parsing. Recursion is bounded by jansson's
 * limit. Returns true when v nests deeper than max levels. */
static bool too_deep(const json_t *v, int max)
{
    if (!json_is_array(v) && !json_is_object(v))
        return false;
    if (max <= 0)
        return true;
    if (json_is_array(v)) {
        for (size_t i = 0; i < json_array_size(v); i++)
            if (too_deep(json_array_get(v, i), max - 1))
                return true;
    } else {
        for (void *it = json_object_iter((json_t *)v); it != NULL;
             it = json_object_iter_next((json_t *)v, it))
            if (too_deep(json_object_iter_value(it), max - 1))
                return true;
    }
    return false;
}

struct jv *jv_parse(const char *text, size_t len, int max_depth, char *err)
{
    json_error_t je;
    json_t *root;

    /* Default flags: duplicate keys allowed (last wins, as fc), \u0000
     * rejected, integers stay integers and overflow is an error. */
    root = json_loadb(text, len, JSON_DECODE_ANY, &je);
    if (root == NULL) {
        err_set(err, "JSON line %d column %d: %s", je.line, je.column, je.text);
        return NULL;
    }
    if (too_deep(root, max_depth)) {
        json_decref(root);
        err_set(err, "JSON nesting deeper than %d levels", max_depth);
        return NULL;
    }
    return (struct jv *)root;
}

void jv_free(struct jv *root)
{
    if (root != NULL)
        json_decref(J(root));
}

enum jv_type jv_type(const struct jv *v)
{
    if (v == NULL)
        return JV_NULL;
    switch (json_typeof(J(v))) {
    case JSON_OBJECT:
        return JV_OBJECT;
    case JSON_ARRAY:
        return JV_ARRAY;
    case JSON_STRING:
        return JV_STRING;
    case JSON_INTEGER:
        return JV_INT;
    case JSON_REAL:
        return JV_REAL;
    case JSON_TRUE:
        return JV_TRUE;
    case JSON_FALSE:
        return JV_FALSE;
    case JSON_NULL:
    default:
        return JV_NULL;
    }
}

const char *jv_type_name(const struct jv *v)
{
    static const char *const names[] = {
        [JV_NULL] = "null",     [JV_TRUE] = "boolean", [JV_FALSE] = "boolean",
        [JV_INT] = "integer",   [JV_REAL] = "real",    [JV_STRING] = "string",
        [JV_ARRAY] = "array",   [JV_OBJECT] = "object",
    };

    if (v == NULL)
        return "nothing";
    return names[jv_type(v)];
}

const struct jv *jv_get(const struct jv *v, const char *key)
{
    if (v == NULL || !json_is_object(J(v)))
        return NULL;
    return V(json_object_get(J(v), key));
}

size_t jv_len(const struct jv *v)
{
    if (v == NULL)
        return 0;
    if (json_is_array(J(v)))
        return json_array_size(J(v));
    if (json_is_object(J(v)))
        return json_object_size(J(v));
    return 0;
}

const struct jv *jv_at(const struct jv *v, size_t i)
{
    if (v == NULL || !json_is_array(J(v)))
        return NULL;
    return V(json_array_get(J(v), i));
}

const struct jv *jv_iter_next(const struct jv *v, struct jv_iter *it, const char **key)
{
    if (v == NULL || !json_is_object(J(v)))
        return NULL;
    if (!it->started) {
        it->it = json_object_iter(J(v));
        it->started = true;
    } else {
        it->it = json_object_iter_next(J(v), it->it);
    }
    if (it->it == NULL)
        return NULL;
    if (key != NULL)
        *key = json_object_iter_key(it->it);
    return V(json_object_iter_value(it->it));
}

const char *jv_str(const struct jv *v, size_t *len)
{
    if (v == NULL || !json_is_string(J(v)))
        return NULL;
    if (len != NULL)
        *len = json_string_length(J(v));
    return json_string_value(J(v));
}

/* Parses an optional '-' and decimal digits (the whole string). Returns 0
 * and the magnitude with its sign, or -1 when malformed; *overflow is set
 * when the magnitude does not fit a uint64. */
static int parse_decimal(const char *s, size_t len, bool *neg, uint64_t *mag, bool *overflow)
{
    size_t i = 0;

    *neg = false;
    *mag = 0;
    *overflow = false;
    if (len > 0 && s[0] == '-') {
        *neg = true;
        i = 1;
    }
    if (i == len)
        return -1;
    for (; i < len; i++) {
        unsigned d;

        if (s[i] < '0' || s[i] > '9')
            return -1;
        d = (unsigned)(s[i] - '0');
        if (*mag > (UINT64_MAX - d) / 10)
            *overflow = true;
        else
            *mag = *mag * 10 + d;
    }
    return 0;
}

/* Shows what was rejected in range errors, the way the input had it. */
static void describe(const struct jv *v, char *buf, size_t cap)
{
    const char *s;

    switch (jv_type(v)) {
    case JV_INT:
        snprintf(buf, cap, "%" JSON_INTEGER_FORMAT, json_integer_value(J(v)));
        break;
    case JV_REAL:
        snprintf(buf, cap, "%.17g", json_real_value(J(v)));
        break;
    case JV_STRING:
        s = json_string_value(J(v));
        snprintf(buf, cap, "%.40s%s", s, json_string_length(J(v)) > 40 ? "..." : "");
        break;
    default:
        snprintf(buf, cap, "%s", jv_type_name(v));
        break;
    }
}

/* Reads v as an integer: *neg and *mag (magnitude, exact) when the value is
 * an integer, an integral real, or a decimal string. Returns 0; 1 when the
 * value is integral but too large for 64 bits; -1 with err otherwise. */
static int read_integer(const struct jv *v, bool *neg, uint64_t *mag, char *err)
{
    bool overflow;
    double d;
    size_t len;
    const char *s;

    if (v == NULL)
        return err_set(err, "expected an integer, got nothing");
    switch (jv_type(v)) {
    case JV_INT: {
        json_int_t i = json_integer_value(J(v));

        *neg = i < 0;
        *mag = i < 0 ? (uint64_t)0 - (uint64_t)i : (uint64_t)i;
        return 0;
    }
    case JV_REAL:
        /* fc converts doubles to integers; accept the exact ones only. */
        d = json_real_value(J(v));
        if (d != d)
            return err_set(err, "expected an integer, got real nan");
        if (d >= 18446744073709551616.0 || d <= -18446744073709551616.0)
            return 1;
        /* |d| < 2^64 here, so the conversion is defined. */
        *neg = d < 0;
        *mag = (uint64_t)(d < 0 ? -d : d);
        if ((double)*mag != (d < 0 ? -d : d)) {
            char buf[64];

            describe(v, buf, sizeof buf);
            return err_set(err, "expected an integer, got real %s", buf);
        }
        return 0;
    case JV_STRING:
        s = jv_str(v, &len);
        if (parse_decimal(s, len, neg, mag, &overflow) < 0) {
            char buf[64];

            describe(v, buf, sizeof buf);
            return err_set(err, "expected an integer, got string \"%s\"", buf);
        }
        return overflow ? 1 : 0;
    default:
        return err_set(err, "expected an integer, got %s", jv_type_name(v));
    }
}

int jv_int64(const struct jv *v, int64_t min, int64_t max, int64_t *out, char *err)
{
    bool neg;
    uint64_t mag;
    int64_t val;
    char buf[64];
    int rc = read_integer(v, &neg, &mag, err);

    if (rc < 0)
        return -1;
    if (rc > 0)
        goto range;
    if (neg) {
        if (mag > (uint64_t)INT64_MAX + 1)
            goto range;
        val = mag == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)mag;
    } else {
        if (mag > (uint64_t)INT64_MAX)
            goto range;
        val = (int64_t)mag;
    }
    if (val < min || val > max)
        goto range;
    *out = val;
    return 0;
range:
    describe(v, buf, sizeof buf);
    return err_set(err, "out of range [%" PRId64 ", %" PRId64 "]: %s", min, max, buf);
}

int jv_uint64(const struct jv *v, uint64_t max, uint64_t *out, char *err)
{
    bool neg;
    uint64_t mag;
    char buf[64];
    int rc = read_integer(v, &neg, &mag, err);

    if (rc < 0)
        return -1;
    if (rc > 0 || (neg && mag != 0) || mag > max) {
        describe(v, buf, sizeof buf);
        return err_set(err, "out of range [0, %" PRIu64 "]: %s", max, buf);
    }
    *out = mag;
    return 0;
}

int jv_double(const struct jv *v, double *out, char *err)
{
    if (v == NULL || !json_is_number(J(v)))
        return err_set(err, "expected a number, got %s", jv_type_name(v));
    *out = json_number_value(J(v));
    return 0;
}

int jv_bool(const struct jv *v, bool *out, char *err)
{
    if (v != NULL && json_is_true(J(v))) {
        *out = true;
        return 0;
    }
    if (v != NULL && json_is_false(J(v))) {
        *out = false;
        return 0;
    }
    return err_set(err, "expected true or false, got %s", jv_type_name(v));
}
