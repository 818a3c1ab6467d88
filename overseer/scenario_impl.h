/* scenario_impl.h - inside the scenario module (not for other modules).
 *
 *  scenario_yaml.c  YAML text -> a small tree that keeps every node's line
 *                   and column (libfyaml's event parser; the only file that
 *                   includes libfyaml)
 *  scenario_val.c   typed values from tree nodes (numbers, durations, names)
 *                   with FILE:LINE:COL: FIELD: errors, key checks
 *  scenario_phase.c one phase (and the `defaults` it inherits)
 *  scenario_search.c the find_limit and p2p_limit sections of a phase
 *  scenario.c       the top level, scaling, curves, names */
#ifndef BSS_SCENARIO_IMPL_H
#define BSS_SCENARIO_IMPL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "scenario.h"

#define SCENARIO_FIELD_LEN 96   /* field paths in messages, e.g. phases[3].rate.steps[2] */
#define SCENARIO_MAX_DEPTH 32   /* YAML nesting */
#define SCENARIO_MAX_YNODES 200000

enum scenario_ytype { SCENARIO_Y_NULL, SCENARIO_Y_SCALAR, SCENARIO_Y_SEQ, SCENARIO_Y_MAP };

/* A YAML node. Aliases share the anchored node (the tree is a DAG; anchors
 * are registered when their node is complete, so it has no cycles). */
struct scenario_ynode {
    enum scenario_ytype type;
    int line, col;                  /* 1-based */
    const char *text;               /* SCALAR: NUL-terminated copy */
    size_t len;
    size_t n;                       /* SEQ: items; MAP: pairs */
    struct scenario_ynode **kids;   /* SEQ: n items; MAP: 2n (key, value, ...) */
};

struct scenario_ydoc {
    struct scenario_ynode *root;    /* NULL: empty document */
    struct scenario_ynode **all;    /* every node, for freeing */
    size_t nall, capall;
};

/* Parses text into d (zeroed by the call). Returns 0, or -1 with err
 * "FILE:LINE:COL: problem"; free d with scenario_ydoc_free either way. */
int scenario_yaml_parse(struct scenario_ydoc *d, const char *text, size_t len,
                        const char *file, char *err);
void scenario_ydoc_free(struct scenario_ydoc *d);

/* Error context: every failure writes "FILE:LINE:COL: FIELD: message". */
struct scenario_ctx {
    const char *file;
    char *err;
    bool nonblank;              /* the text has more than blanks and comments */
};

int scenario_fail(const struct scenario_ctx *cx, const struct scenario_ynode *at,
                  const char *field, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* snprintf for field paths (truncation is harmless in a message). */
void scenario_path(char *out, size_t cap, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Seconds for messages, exact, without trailing zeros ("1.5", "0.000001"). */
const char *scenario_secs(char buf[32], uint64_t ns);

/* "a list", "a mapping", "nothing", or the scalar quoted (shortened). */
const char *scenario_describe(const struct scenario_ynode *n, char buf[64]);

/* Every key of map must be a scalar in known[0..nknown) and appear once;
 * otherwise an error at the key ("unknown key", "did you mean"). */
int scenario_check_keys(const struct scenario_ctx *cx, const struct scenario_ynode *map,
                        const char *field, const char *const *known, size_t nknown);
/* The value of key in map, or NULL. */
const struct scenario_ynode *scenario_get(const struct scenario_ynode *map, const char *key);
/* The key node holding key (for positions), or NULL. */
const struct scenario_ynode *scenario_get_key(const struct scenario_ynode *map, const char *key);

/* Typed values. Each returns 0, or -1 with the error set (at node n, named
 * field). Numbers are decimal with optional sign, fraction, exponent and
 * '_' between digits ("20_000", "1.5", "2e3"); quoted or not. */
int scenario_number(const struct scenario_ctx *cx, const struct scenario_ynode *n,
                    const char *field, double min, double max, double *out);
int scenario_uint(const struct scenario_ctx *cx, const struct scenario_ynode *n,
                  const char *field, uint64_t min, uint64_t max, uint64_t *out);
int scenario_u32(const struct scenario_ctx *cx, const struct scenario_ynode *n,
                 const char *field, uint32_t min, uint32_t max, uint32_t *out);
/* A duration: a number of seconds, or a number with a unit ms, s, m or h
 * ("500ms", "90s", "5m"), converted to nanoseconds exactly. */
int scenario_duration(const struct scenario_ctx *cx, const struct scenario_ynode *n,
                      const char *field, uint64_t min_ns, uint64_t max_ns, uint64_t *out);
/* A scalar copied into out (cap bytes with the NUL; longer is an error);
 * control characters are refused. */
int scenario_string(const struct scenario_ctx *cx, const struct scenario_ynode *n,
                    const char *field, char *out, size_t cap);
/* One of names[0..nnames) (exact); the error lists them. */
int scenario_choice(const struct scenario_ctx *cx, const struct scenario_ynode *n,
                    const char *field, const char *const *names, size_t nnames, int *out);
int scenario_bool(const struct scenario_ctx *cx, const struct scenario_ynode *n,
                  const char *field, bool *out);
bool scenario_is_word(const struct scenario_ynode *n, const char *word);

/* Parses phases[i] (node pn, inheriting from defaults, which may be NULL)
 * into p. s is the scenario so far (its nodes, local and beacons are set):
 * weights must match its node counts, beacons its number. */
int scenario_phase_parse(const struct scenario_ctx *cx, const struct scenario_ynode *pn,
                         const struct scenario_ynode *defaults, size_t i,
                         const struct scenario *s, struct scenario_phase *p);
/* The `find_limit:` and `p2p_limit:` mappings (n, at field) into p (its
 * find_limit / p2p_limit and, for find_limit, duration_ns). */
int scenario_find_limit_parse(const struct scenario_ctx *cx, const struct scenario_ynode *n,
                              const char *field, struct scenario_phase *p);
int scenario_p2p_limit_parse(const struct scenario_ctx *cx, const struct scenario_ynode *n,
                             const char *field, struct scenario_phase *p);
/* Checks the keys of the top-level `defaults` mapping. */
int scenario_defaults_check(const struct scenario_ctx *cx, const struct scenario_ynode *d);

#endif
