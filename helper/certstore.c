/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The helper's files: certificate, chain and key replaced as one, and its state (certstore.h). */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "certstore.h"
#include "fileio.h"
#include "json.h"
#include "x509.h"

#define MAX_PEM		(64 * 1024)
#define MAX_STATE	(16 * 1024)
#define LIVE		"live"
#define ROOM		".room"		/* cs_check_room()'s probe, removed at once */

#ifdef AR_HELPER_CRASH_HOOK
/* The kill -9 test drives this: die right before step @n of cs_install().
 * Compiled only into the test build of the helper (helper/local.mk:
 * tests/helper/acme-rats-helper-crash); the installed program has no hook. */
static void crash_point(int n)
{
	const char *at = getenv("ACME_RATS_HELPER_CRASH_AT");
	char *end;

	if (at && strtol(at, &end, 10) == n && !*end)
		kill(getpid(), SIGKILL);
}
#else
static void crash_point(int n)
{
	(void)n;
}
#endif

int cs_init(const char *dir, ar_err_t *err)
{
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return ar_err_set(err, AR_ERR_IO, "%s: %s", dir, strerror(errno));
	return 0;
}

static int path_of(char *out, size_t size, const char *dir, const char *name, ar_err_t *err)
{
	if (snprintf(out, size, "%s/%s", dir, name) >= (int)size)
		return ar_err_set(err, AR_ERR_CONFIG, "%s: path too long", dir);
	return 0;
}

int cs_check_room(const char *dir, ar_err_t *err)
{
	char path[PATH_MAX];
	int fd, rc;

	if (path_of(path, sizeof(path), dir, ROOM, err) < 0)
		return -1;
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return ar_err_set(err, AR_ERR_IO, "%s: cannot store a new certificate: %s", dir,
				  strerror(errno));
	rc = posix_fallocate(fd, 0, CS_ROOM);
	close(fd);
	(void)unlink(path);
	if (rc)
		return ar_err_set(err, AR_ERR_IO, "%s: cannot store a new certificate (%d KiB "
				  "needed): %s", dir, CS_ROOM / 1024, strerror(rc));
	return 0;
}

/* Write key text (consumed: cleansed and freed; NULL = the producer failed) 0600. */
static int write_pem(const char *path, char *pem, ar_err_t *err)
{
	int rc;

	if (!pem)
		return -1;
	rc = ar_file_write_atomic(path, pem, strlen(pem), 0600, err);
	OPENSSL_cleanse(pem, strlen(pem));
	free(pem);
	return rc;
}

ar_jwk_t *cs_account_key(const char *dir, const char *file, ar_err_t *err)
{
	char path[PATH_MAX];
	ar_jwk_t *key;

	if (file)
		snprintf(path, sizeof(path), "%s", file);
	else if (path_of(path, sizeof(path), dir, "account.key", err) < 0)
		return NULL;
	if (access(path, F_OK) == 0)
		return ar_jwk_load_pem(path, err);
	key = ar_jwk_generate("ES256", err);
	if (key && write_pem(path, ar_jwk_to_pem(key, 1, err), err) < 0) {
		ar_jwk_free(key);
		return NULL;
	}
	return key;
}

int cs_live_key(const char *dir, devkey_t *key, ar_err_t *err)
{
	char path[PATH_MAX];

	memset(key, 0, sizeof(*key));
	if (path_of(path, sizeof(path), dir, LIVE "/key.pem", err) < 0)
		return -1;
	if (access(path, F_OK) < 0)
		return ar_err_set(err, AR_ERR_NOT_FOUND, "%s: no key installed", path);
	return devkey_load(path, key, err);
}

static int cert_facts(X509 *x, cs_cert_t *out, ar_err_t *err)
{
	const ASN1_INTEGER *sn = X509_get0_serialNumber(x);
	BIGNUM *bn = ASN1_INTEGER_to_BN(sn, NULL);
	char *hex = bn ? BN_bn2hex(bn) : NULL;
	EVP_PKEY *pub = X509_get0_pubkey(x);
	ar_jwk_t *jwk = pub ? ar_jwk_from_pkey(pub, err) : NULL;
	struct tm tm;
	size_t i;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	if (!hex || strlen(hex) >= sizeof(out->serial) || !jwk) {
		if (err && !err->code)
			ar_err_set(err, AR_ERR_MALFORMED, "certificate: unusable serial or key");
		goto out;
	}
	for (i = 0; hex[i]; i++)
		out->serial[i] = (char)(hex[i] >= 'A' && hex[i] <= 'F' ? hex[i] - 'A' + 'a' : hex[i]);
	snprintf(out->jkt, sizeof(out->jkt), "%s", ar_jwk_thumbprint(jwk));
	if (ASN1_TIME_to_tm(X509_get0_notBefore(x), &tm) != 1)
		goto bad_time;
	out->not_before = timegm(&tm);
	if (ASN1_TIME_to_tm(X509_get0_notAfter(x), &tm) != 1)
		goto bad_time;
	out->not_after = timegm(&tm);
	if (ar_cert_ari_id(x, out->certid, sizeof(out->certid), NULL) < 0)
		out->certid[0] = '\0';
	rc = 0;
	goto out;
bad_time:
	ar_err_set(err, AR_ERR_MALFORMED, "certificate: unreadable validity");
out:
	ar_jwk_free(jwk);
	OPENSSL_free(hex);
	BN_free(bn);
	return rc;
}

/* The first certificate of PEM text. */
static X509 *first_cert(const char *pem, size_t len, ar_err_t *err)
{
	BIO *bio = BIO_new_mem_buf(pem, (int)len);
	X509 *x = bio ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;

	BIO_free(bio);
	if (!x)
		ar_err_set(err, AR_ERR_MALFORMED, "no PEM certificate");
	return x;
}

int cs_live_cert(const char *dir, cs_cert_t *out, ar_err_t *err)
{
	char path[PATH_MAX], *pem;
	size_t len;
	X509 *x;
	int rc;

	memset(out, 0, sizeof(*out));
	if (path_of(path, sizeof(path), dir, LIVE "/cert.pem", err) < 0)
		return -1;
	if (access(path, F_OK) < 0)
		return 0;
	if (ar_file_read(path, MAX_PEM, &pem, &len, err) < 0)
		return -1;
	x = first_cert(pem, len, err);
	free(pem);
	if (!x)
		return ar_err_prefix(err, "%s: ", path);
	rc = cert_facts(x, out, err) < 0 ? -1 : 1;
	X509_free(x);
	return rc;
}

/* Generation number the live link names, or 0. */
static unsigned live_generation(const char *dir)
{
	char path[PATH_MAX], target[64];
	ssize_t n;
	unsigned g = 0;

	if (path_of(path, sizeof(path), dir, LIVE, NULL) < 0)
		return 0;
	n = readlink(path, target, sizeof(target) - 1);
	if (n <= 0)
		return 0;
	target[n] = '\0';
	if (sscanf(target, "gen-%u", &g) != 1)
		return 0;
	return g;
}

static int rmtree_gen(const char *dir, unsigned g)
{
	static const char *const files[] = { "key.pem", "key.tss2.pem", "cert.pem", "chain.pem",
					     "fullchain.pem" };
	char path[PATH_MAX];
	DIR *d;
	struct dirent *e;
	size_t i;

	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/gen-%u/%s", dir, g, files[i]);
		(void)unlink(path);
	}
	/* Temporary files an interrupted write may have left. */
	snprintf(path, sizeof(path), "%s/gen-%u", dir, g);
	d = opendir(path);
	if (d) {
		while ((e = readdir(d)))
			if (e->d_name[0] != '.') {
				char p2[PATH_MAX + 256];

				snprintf(p2, sizeof(p2), "%s/%s", path, e->d_name);
				(void)unlink(p2);
			}
		closedir(d);
	}
	return rmdir(path);
}

/* Remove generations other than @keep_a and @keep_b. */
static void prune(const char *dir, unsigned keep_a, unsigned keep_b)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	unsigned g;

	if (!d)
		return;
	while ((e = readdir(d)))
		if (sscanf(e->d_name, "gen-%u", &g) == 1 && g != keep_a && g != keep_b)
			(void)rmtree_gen(dir, g);
	closedir(d);
}

static int fsync_dir(const char *dir, ar_err_t *err)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0 || fsync(fd) < 0) {
		if (fd >= 0)
			close(fd);
		return ar_err_set(err, AR_ERR_IO, "%s: fsync: %s", dir, strerror(errno));
	}
	close(fd);
	return 0;
}

/* Split the CA's PEM chain into the leaf and the rest; check the leaf carries @key. */
static int split_chain(const char *pem, const devkey_t *key, char **leaf, const char **rest,
		       cs_cert_t *facts, ar_err_t *err)
{
	const char *end = strstr(pem, "-----END CERTIFICATE-----");
	size_t n;
	X509 *x;

	if (!end)
		return ar_err_set(err, AR_ERR_MALFORMED, "certificate chain: no certificate");
	end += strlen("-----END CERTIFICATE-----");
	while (*end == '\r' || *end == '\n')
		end++;
	n = (size_t)(end - pem);
	x = first_cert(pem, n, err);
	if (!x || cert_facts(x, facts, err) < 0) {
		X509_free(x);
		return ar_err_prefix(err, "certificate chain: ");
	}
	X509_free(x);
	if (strcmp(facts->jkt, ar_jwk_thumbprint(key->jwk)))
		return ar_err_set(err, AR_ERR_MALFORMED, "the CA certified another key than ours");
	*leaf = strndup(pem, n);
	if (!*leaf)
		return ar_err_set(err, AR_ERR_NOMEM, "out of memory");
	*rest = end;
	return 0;
}

int cs_install(const char *dir, const devkey_t *key, const char *chain_pem, cs_cert_t *out,
	       ar_err_t *err)
{
	unsigned prev = live_generation(dir), g = prev + 1;
	char gdir[PATH_MAX], path[PATH_MAX + 32], link_tmp[PATH_MAX], link[PATH_MAX], target[32];
	char *leaf = NULL;
	const char *rest = "";
	int rc = -1, switched = 0;

	if (split_chain(chain_pem, key, &leaf, &rest, out, err) < 0)
		return -1;
	snprintf(gdir, sizeof(gdir), "%s/gen-%u", dir, g);
	snprintf(link_tmp, sizeof(link_tmp), "%s/" LIVE ".tmp", dir);
	(void)rmtree_gen(dir, g);	/* left over by an install that died */
	crash_point(1);
	if (mkdir(gdir, 0700) < 0) {
		ar_err_set(err, AR_ERR_IO, "%s: %s", gdir, strerror(errno));
		goto out;
	}
	crash_point(2);
	snprintf(path, sizeof(path), "%s/key.pem", gdir);
	if (write_pem(path, devkey_pem(key, err), err) < 0)
		goto out;
	snprintf(path, sizeof(path), "%s/key.tss2.pem", gdir);
	if (key->wrapped &&
	    ar_file_write_atomic(path, key->wrapped, strlen(key->wrapped), 0600, err) < 0)
		goto out;
	crash_point(3);
	snprintf(path, sizeof(path), "%s/cert.pem", gdir);
	if (ar_file_write_atomic(path, leaf, strlen(leaf), 0644, err) < 0)
		goto out;
	snprintf(path, sizeof(path), "%s/chain.pem", gdir);
	if (ar_file_write_atomic(path, rest, strlen(rest), 0644, err) < 0)
		goto out;
	crash_point(4);
	snprintf(path, sizeof(path), "%s/fullchain.pem", gdir);
	if (ar_file_write_atomic(path, chain_pem, strlen(chain_pem), 0644, err) < 0 ||
	    fsync_dir(gdir, err) < 0)
		goto out;
	crash_point(5);
	/* The switch: a new link, renamed over the old one. */
	snprintf(link, sizeof(link), "%s/" LIVE, dir);
	snprintf(target, sizeof(target), "gen-%u", g);
	(void)unlink(link_tmp);
	if (symlink(target, link_tmp) < 0) {
		ar_err_set(err, AR_ERR_IO, "%s: %s", link_tmp, strerror(errno));
		goto out;
	}
	crash_point(6);
	if (rename(link_tmp, link) < 0) {
		ar_err_set(err, AR_ERR_IO, "%s: %s", link, strerror(errno));
		goto out;
	}
	switched = 1;
	if (fsync_dir(dir, err) < 0)
		goto out;
	crash_point(7);
	prune(dir, g, prev);
	rc = 0;
out:
	if (rc < 0 && !switched) {
		/* A full or read-only disk: `live` still names the old generation;
		 * leave nothing of the new one behind. */
		(void)unlink(link_tmp);
		(void)rmtree_gen(dir, g);
	}
	free(leaf);
	return rc;
}

int cs_state_load(const char *dir, cs_state_t *st, ar_err_t *err)
{
	char path[PATH_MAX], *text;
	const char *le = NULL, *na = NULL, *nr = NULL;
	json_int_t pa = 0, la = 0, ls = 0, lf = 0, fl = 0, ws = 0, we = 0, np = 0, dr = 0, ji = 0,
		   nt = 0;
	int hw = 0;
	json_error_t je;
	size_t len;
	json_t *j;

	memset(st, 0, sizeof(*st));
	if (path_of(path, sizeof(path), dir, "state.json", err) < 0)
		return -1;
	if (access(path, F_OK) < 0)
		return 0;
	if (ar_file_read(path, MAX_STATE, &text, &len, err) < 0)
		return -1;
	j = ar_json_load(text, len, MAX_STATE, path, err);
	free(text);
	if (!j)
		return -1;
	if (json_unpack_ex(j, &je, 0, "{s?I,s?I,s?I,s?I,s?I,s?s,s?b,s?I,s?I,s?I,s?I,s?I,s?s,s?I,s?s}",
			   "posture_at", &pa, "last_attempt", &la, "last_success", &ls,
			   "last_failure", &lf, "failures", &fl, "last_error", &le,
			   "have_window", &hw, "window_start", &ws, "window_end", &we,
			   "ari_next_poll", &np, "draw", &dr, "jitter", &ji, "next_action", &na,
			   "next_at", &nt, "next_reason", &nr) < 0) {
		json_decref(j);
		return ar_err_set(err, AR_ERR_MALFORMED, "%s: %s", path, je.text);
	}
	st->posture_at = pa;
	st->last_attempt = la;
	st->last_success = ls;
	st->last_failure = lf;
	st->failures = fl > 0 && fl < 1000 ? (unsigned)fl : 0;
	snprintf(st->last_error, sizeof(st->last_error), "%s", le ? le : "");
	st->have_window = hw;
	st->window_start = ws;
	st->window_end = we;
	st->ari_next_poll = np;
	st->draw = (uint32_t)dr;
	st->jitter = (uint32_t)ji;
	snprintf(st->next_action, sizeof(st->next_action), "%s", na ? na : "");
	st->next_at = nt;
	snprintf(st->next_reason, sizeof(st->next_reason), "%s", nr ? nr : "");
	json_decref(j);
	return 0;
}

int cs_state_save(const char *dir, const cs_state_t *st, ar_err_t *err)
{
	char path[PATH_MAX], *text;
	json_t *j;
	int rc;

	if (path_of(path, sizeof(path), dir, "state.json", err) < 0)
		return -1;
	j = json_pack("{s:I,s:I,s:I,s:I,s:I,s:s,s:b,s:I,s:I,s:I,s:I,s:I,s:s,s:I,s:s}",
		      "posture_at", (json_int_t)st->posture_at,
		      "last_attempt", (json_int_t)st->last_attempt,
		      "last_success", (json_int_t)st->last_success,
		      "last_failure", (json_int_t)st->last_failure,
		      "failures", (json_int_t)st->failures, "last_error", st->last_error,
		      "have_window", st->have_window, "window_start", (json_int_t)st->window_start,
		      "window_end", (json_int_t)st->window_end,
		      "ari_next_poll", (json_int_t)st->ari_next_poll, "draw", (json_int_t)st->draw,
		      "jitter", (json_int_t)st->jitter, "next_action", st->next_action,
		      "next_at", (json_int_t)st->next_at, "next_reason", st->next_reason);
	text = j ? json_dumps(j, JSON_INDENT(1) | JSON_SORT_KEYS) : NULL;
	json_decref(j);
	if (!text)
		return ar_err_set(err, AR_ERR_NOMEM, "out of memory");
	rc = ar_file_write_atomic(path, text, strlen(text), 0600, err);
	free(text);
	return rc;
}
