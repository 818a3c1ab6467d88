/* bus_key.c - Curve keypairs: generation, key files, Z85 checks.
 *
 * A .key file holds the secret that proves a beacon (or the overseer) is
 * who it says, and the overseer sends account keys to whoever proves it.
 * So, like ssh: the file is created 0600, never overwritten, refused when
 * others may read it, and its secret is never quoted in a message. */
#include "bus_impl.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "err.h"

/* Real files are 94 bytes; the limit keeps a wrong path from being read whole. */
#define BUS_KEYFILE_MAX 4096

static const char bus_z85_alphabet[] =
    "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#";

int bus_key_decode(uint8_t out[BUS_KEY_BIN], const char *z85, const char *what, char *err)
{
    size_t n;

    if (z85 == NULL)
        return err_set(err, "%s: missing", what);
    n = strnlen(z85, BUS_KEY_LEN + 1);
    if (n != BUS_KEY_LEN)
        return err_set(err, "%s: expected %d Z85 characters, got %s%zu", what, BUS_KEY_LEN,
                       n > BUS_KEY_LEN ? "more than " : "", n > BUS_KEY_LEN ? n - 1 : n);
    for (size_t i = 0; i < n; i++)
        if (strchr(bus_z85_alphabet, z85[i]) == NULL)
            return err_set(err, "%s: character %zu is not Z85", what, i + 1);
    /* Five Z85 characters can exceed 2^32; libzmq rejects those. */
    if (zmq_z85_decode(out, z85) == NULL)
        return err_set(err, "%s: not a valid Z85 key", what);
    return 0;
}

int bus_keypair_decode(uint8_t pub[BUS_KEY_BIN], uint8_t sec[BUS_KEY_BIN], const char *pub_z85,
                       const char *sec_z85, const char *what, char *err)
{
    char derived[BUS_KEY_LEN + 1], name[64];
    int rc = -1;

    snprintf(name, sizeof name, "%s public key", what);
    if (bus_key_decode(pub, pub_z85, name, err) < 0)
        return -1;
    snprintf(name, sizeof name, "%s secret key", what);
    if (bus_key_decode(sec, sec_z85, name, err) < 0)
        return -1;
    if (zmq_curve_public(derived, sec_z85) != 0)
        err_set(err, "%s keypair: %s", what, zmq_strerror(errno));
    else if (memcmp(derived, pub_z85, BUS_KEY_LEN) != 0)
        err_set(err, "%s public key does not belong to its secret key", what);
    else
        rc = 0;
    if (rc < 0)
        explicit_bzero(sec, BUS_KEY_BIN);
    return rc;
}

int bus_keygen(char public_key[BUS_KEY_LEN + 1], char secret_key[BUS_KEY_LEN + 1], char *err)
{
    if (zmq_curve_keypair(public_key, secret_key) != 0)
        return err_set(err, "Curve keypair: %s (libzmq built without CURVE?)",
                       zmq_strerror(errno));
    return 0;
}

static int bus_write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

int bus_keygen_files(const char *path, char *err)
{
    char kpath[PATH_MAX], ppath[PATH_MAX], pub[BUS_KEY_LEN + 1], sec[BUS_KEY_LEN + 1];
    char text[2 * BUS_KEY_LEN + 32];
    int kfd = -1, pfd = -1, rc = -1, n;

    if ((size_t)snprintf(kpath, sizeof kpath, "%s.key", path) >= sizeof kpath ||
        (size_t)snprintf(ppath, sizeof ppath, "%s.pub", path) >= sizeof ppath)
        return err_set(err, "%s: path too long", path);
    if (bus_keygen(pub, sec, err) < 0)
        return -1;
    /* O_EXCL: an existing key is someone's identity; never replace it. */
    kfd = open(kpath, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (kfd < 0) {
        err_set(err, errno == EEXIST ? "%s: already exists; refusing to overwrite" : "%s: %s",
                kpath, strerror(errno));
        goto done;
    }
    pfd = open(ppath, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (pfd < 0) {
        err_set(err, errno == EEXIST ? "%s: already exists; refusing to overwrite" : "%s: %s",
                ppath, strerror(errno));
        goto done;
    }
    n = snprintf(text, sizeof text, "public %s\nsecret %s\n", pub, sec);
    if (bus_write_all(kfd, text, (size_t)n) < 0 || fsync(kfd) != 0) {
        err_set(err, "%s: %s", kpath, strerror(errno));
        goto done;
    }
    n = snprintf(text, sizeof text, "public %s\n", pub);
    if (bus_write_all(pfd, text, (size_t)n) < 0 || fsync(pfd) != 0) {
        err_set(err, "%s: %s", ppath, strerror(errno));
        goto done;
    }
    rc = 0;
done:
    if (kfd >= 0 && close(kfd) != 0 && rc == 0)
        rc = err_set(err, "%s: %s", kpath, strerror(errno));
    if (pfd >= 0 && close(pfd) != 0 && rc == 0)
        rc = err_set(err, "%s: %s", ppath, strerror(errno));
    /* Remove only what this call created. */
    if (rc < 0 && kfd >= 0)
        unlink(kpath);
    if (rc < 0 && pfd >= 0)
        unlink(ppath);
    explicit_bzero(sec, sizeof sec);
    explicit_bzero(text, sizeof text);
    return rc;
}

/* Reads the whole (small) file into buf, NUL-terminated; *mode gets its
 * permission bits. */
static int bus_read_keyfile(const char *path, char *buf, size_t cap, unsigned *mode, char *err)
{
    struct stat st;
    size_t n = 0;
    ssize_t r;
    int fd = open(path, O_RDONLY | O_CLOEXEC), rc = -1;

    if (fd < 0)
        return err_set(err, "%s: %s", path, strerror(errno));
    if (fstat(fd, &st) != 0) {
        err_set(err, "%s: %s", path, strerror(errno));
        goto done;
    }
    if (!S_ISREG(st.st_mode)) {
        err_set(err, "%s: not a regular file", path);
        goto done;
    }
    *mode = (unsigned)(st.st_mode & 07777);
    while ((r = read(fd, buf + n, cap - 1 - n)) != 0) {
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            err_set(err, "%s: %s", path, strerror(errno));
            goto done;
        }
        n += (size_t)r;
        if (n == cap - 1) {
            err_set(err, "%s: larger than %zu bytes; not a key file", path, cap - 1);
            goto done;
        }
    }
    buf[n] = '\0';
    if (strlen(buf) != n) {
        err_set(err, "%s: contains a NUL byte; not a key file", path);
        goto done;
    }
    rc = 0;
done:
    close(fd);
    return rc;
}

int bus_key_load(const char *path, char public_key[BUS_KEY_LEN + 1],
                 char secret_key[BUS_KEY_LEN + 1], char *err)
{
    char buf[BUS_KEYFILE_MAX], pub[BUS_KEY_LEN + 1] = "", sec[BUS_KEY_LEN + 1] = "";
    uint8_t bp[BUS_KEY_BIN], bs[BUS_KEY_BIN];
    size_t lineno = 0;
    int pub_line = 0, rc = -1;
    char *line = buf, *next;
    unsigned mode = 0;

    if (bus_read_keyfile(path, buf, sizeof buf, &mode, err) < 0)
        goto done;
    for (; line != NULL; line = next) {
        size_t n;
        char *key, *slot;
        bool is_pub;

        next = strchr(line, '\n');
        if (next != NULL)
            *next++ = '\0';
        lineno++;
        n = strlen(line);
        while (n > 0 && (line[n - 1] == '\r' || line[n - 1] == ' ' || line[n - 1] == '\t'))
            line[--n] = '\0';
        if (n == 0 || line[0] == '#')
            continue;
        is_pub = strncmp(line, "public", 6) == 0;
        if ((!is_pub && strncmp(line, "secret", 6) != 0) || (line[6] != ' ' && line[6] != '\t')) {
            err_set(err, "%s line %zu: expected \"public KEY\" or \"secret KEY\"", path, lineno);
            goto done;
        }
        key = line + 7 + strspn(line + 7, " \t");
        slot = is_pub ? pub : sec;
        if (slot[0] != '\0') {
            err_set(err, "%s line %zu: a second %s key", path, lineno,
                    is_pub ? "public" : "secret");
            goto done;
        }
        /* A .pub reader never needs the secret: leave it in the buffer only. */
        if (!is_pub && secret_key == NULL)
            continue;
        if (bus_key_decode(is_pub ? bp : bs, key, is_pub ? "public key" : "secret key", err) < 0) {
            err_prefix(err, "%s line %zu", path, lineno);
            goto done;
        }
        memcpy(slot, key, BUS_KEY_LEN + 1);
        if (is_pub)
            pub_line = (int)lineno;
    }
    if (pub[0] == '\0') {
        err_set(err, "%s: no \"public KEY\" line", path);
        goto done;
    }
    if (secret_key != NULL && sec[0] == '\0') {
        err_set(err, "%s: no \"secret KEY\" line (a .pub file has none; give the .key file)", path);
        goto done;
    }
    /* Others must not read it; a group may (Kubernetes mounts secrets
     * 0440 with an fsGroup, and a group of operators is a deliberate
     * choice). */
    if (secret_key != NULL && (mode & 007) != 0) {
        err_set(err, "%s: holds a secret key but any user can read it (mode %04o); "
                     "chmod 600 it", path, mode);
        goto done;
    }
    if (secret_key != NULL && bus_keypair_decode(bp, bs, pub, sec, "", err) < 0) {
        err_set(err, "%s line %d: public key does not belong to the secret key", path, pub_line);
        goto done;
    }
    memcpy(public_key, pub, sizeof pub);
    if (secret_key != NULL)
        memcpy(secret_key, sec, sizeof sec);
    rc = 0;
done:
    explicit_bzero(buf, sizeof buf);
    explicit_bzero(sec, sizeof sec);
    explicit_bzero(bs, sizeof bs);
    return rc;
}
