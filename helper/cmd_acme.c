/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * `acme-rats-helper enroll | renew [--force] | status | run`: the ACME
 * client's commands. They share one configuration file and one state
 * directory; `run` is the daemon (helper/run.c).
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "enroll.h"
#include "helper.h"
#include "log.h"
#include "schedule.h"

typedef struct acme_args {
	const char	*config;
	int		force;
	int		verbose;
} acme_args_t;

static const struct option options[] = {
	{ "config",	required_argument, NULL, 'c' },
	{ "force",	no_argument,	   NULL, 'f' },
	{ "verbose",	no_argument,	   NULL, 'v' },
	{ "help",	no_argument,	   NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static void usage_common(FILE *f)
{
	fputs("  -c, --config FILE       configuration (default " HELPER_DEFAULT_CONFIG ")\n"
	      "  -v, --verbose           log each step to standard error (twice: debug)\n"
	      "  -h, --help              this text\n", f);
}

void cmd_enroll_usage(FILE *f)
{
	fputs("usage: acme-rats-helper enroll [-c FILE] [-v]\n"
	      "\n"
	      "Attest, order a certificate from the ACME-RATS CA and install it, now.\n\n", f);
	usage_common(f);
	fputs("\nExit status: 0 installed, 2 refused for the device's posture, 3 usage,\n"
	      "configuration or local file error, 4 CA or verifier unreachable or not\n"
	      "speaking the protocol, 5 refused by the CA for another reason.\n", f);
}

void cmd_renew_usage(FILE *f)
{
	fputs("usage: acme-rats-helper renew [-c FILE] [--force] [-v]\n"
	      "\n"
	      "Renew if the schedule says so (renewal window, 2/3 of the lifetime,\n"
	      "posture freshness); with --force, renew now.\n\n"
	      "  -f, --force             renew even if it is not due\n", f);
	usage_common(f);
	fputs("\nExit status: as for enroll; 0 also when nothing was due.\n", f);
}

void cmd_status_usage(FILE *f)
{
	fputs("usage: acme-rats-helper status [-c FILE]\n"
	      "\n"
	      "Show the installed certificate, the posture age, the next action and\n"
	      "the last error.\n\n", f);
	usage_common(f);
	fputs("\nExit status: 0 a valid certificate is installed, 1 none or expired,\n"
	      "3 configuration error.\n", f);
}

/* Returns 0, -1 after --help, or an exit code. */
static int parse(int argc, char **argv, int allow_force, acme_args_t *a,
		 void (*usage)(FILE *f))
{
	int c;

	memset(a, 0, sizeof(*a));
	a->config = HELPER_DEFAULT_CONFIG;
	optind = 1;
	while ((c = getopt_long(argc, argv, "c:fvh", options, NULL)) != -1) {
		switch (c) {
		case 'c':
			a->config = optarg;
			break;
		case 'f':
			if (!allow_force)
				goto bad;
			a->force = 1;
			break;
		case 'v':
			a->verbose++;
			break;
		case 'h':
			usage(stdout);
			return -1;
		default:
			goto bad;
		}
	}
	if (optind == argc)
		return 0;
	fprintf(stderr, "acme-rats-helper %s: unexpected argument \"%s\"\n", argv[0], argv[optind]);
bad:
	usage(stderr);
	return HELPER_EXIT_USAGE;
}

int helper_load(const char *prog, const char *path, int verbose, helper_conf_t *conf)
{
	ar_err_t err = { 0 };

	if (helper_conf_load(path, conf, &err) < 0) {
		fprintf(stderr, "acme-rats-helper %s: %s\n", prog, err.msg);
		return HELPER_EXIT_USAGE;
	}
	ar_log_setup("acme-rats-helper", verbose ? (verbose > 1 ? AR_LOG_DEBUG : AR_LOG_INFO)
						 : (ar_log_level_t)conf->log.level, 2);
	return 0;
}

int helper_opt_seconds(const char *prog, const char *opt, const char *s, long *ms)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < 1 || v > 3600) {
		fprintf(stderr, "acme-rats-helper %s: %s must be 1..3600 seconds\n", prog, opt);
		return -1;
	}
	*ms = v * 1000;
	return 0;
}

int helper_opt_u32(const char *prog, const char *opt, const char *s, uint32_t min, uint32_t max,
		   uint32_t *out)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(s, &end, 0);
	if (errno || end == s || *end || *s == '-' || v < min || v > max) {
		fprintf(stderr, "acme-rats-helper %s: %s must be 0x%08" PRIx32 "..0x%08" PRIx32 "\n",
			prog, opt, min, max);
		return -1;
	}
	*out = (uint32_t)v;
	return 0;
}

/* The exit code of an enrollment result. */
static int helper_exit_for(enroll_result_t r)
{
	switch (r) {
	case ENROLL_OK:		return HELPER_EXIT_AFFIRMING;
	case ENROLL_POSTURE:	return HELPER_EXIT_CONTRAINDICATED;
	case ENROLL_REFUSED:	return HELPER_EXIT_REFUSED;
	case ENROLL_RETRY:	return HELPER_EXIT_PROTOCOL;
	case ENROLL_LOCAL:
	default:		return HELPER_EXIT_USAGE;
	}
}

static void fmt_time(int64_t t, char *buf, size_t size)
{
	struct tm tm;
	time_t tt = (time_t)t;

	if (!t || !gmtime_r(&tt, &tm))
		snprintf(buf, size, "never");
	else
		strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static int enroll_now(const char *prog, const helper_conf_t *conf, const char *reason)
{
	ar_err_t err = { 0 };
	cs_cert_t cert;
	enroll_result_t r = enroll_run(conf, reason, &cert, &err);
	char when[32];

	if (r == ENROLL_OK) {
		fmt_time(cert.not_after, when, sizeof(when));
		printf("installed certificate %s, valid until %s\n", cert.serial, when);
	}
	else
		fprintf(stderr, "acme-rats-helper %s: %s: %s\n", prog,
			r == ENROLL_POSTURE ? "refused for the device's posture" :
			r == ENROLL_REFUSED ? "refused by the CA" :
			r == ENROLL_RETRY ? "not completed, try again later" : "failed", err.msg);
	return helper_exit_for(r);
}

int cmd_enroll(int argc, char **argv)
{
	helper_conf_t conf;
	acme_args_t a;
	int rc = parse(argc, argv, 0, &a, cmd_enroll_usage);

	if (rc)
		return rc < 0 ? 0 : rc;
	if ((rc = helper_load("enroll", a.config, a.verbose, &conf)))
		return rc;
	rc = enroll_now("enroll", &conf, "enroll");
	helper_conf_free(&conf);
	return rc;
}

void helper_sched_input(const helper_conf_t *c, const cs_state_t *st, const cs_cert_t *cert,
			int have_cert, int64_t now, sched_in_t *in)
{
	memset(in, 0, sizeof(*in));
	in->now = now;
	in->have_cert = have_cert;
	in->not_before = cert->not_before;
	in->not_after = cert->not_after;
	in->have_window = st->have_window;
	in->window_start = st->window_start;
	in->window_end = st->window_end;
	in->ari_next_poll = st->ari_next_poll;
	in->posture_at = st->posture_at;
	in->fresh = c->fresh / 1000;
	in->margin = c->fresh_margin / 1000;
	in->failures = st->failures;
	in->last_failure = st->last_failure;
	in->backoff_min = c->backoff_min / 1000;
	in->backoff_max = c->backoff_max / 1000;
	in->draw = st->draw;
	in->jitter = st->jitter;
}

int cmd_renew(int argc, char **argv)
{
	helper_conf_t conf;
	acme_args_t a;
	cs_state_t st;
	cs_cert_t cert;
	sched_in_t in;
	sched_out_t out;
	ar_err_t err = { 0 };
	int rc = parse(argc, argv, 1, &a, cmd_renew_usage), have;
	char when[32];

	if (rc)
		return rc < 0 ? 0 : rc;
	memset(&cert, 0, sizeof(cert));
	if ((rc = helper_load("renew", a.config, a.verbose, &conf)))
		return rc;
	if (a.force) {
		rc = enroll_now("renew", &conf, "forced");
		goto out;
	}
	have = cs_live_cert(conf.dir, &cert, &err);
	if (have == 1 && cs_state_load(conf.dir, &st, &err) == 0 &&
	    (!st.have_window || st.ari_next_poll <= time(NULL)))
		(void)enroll_ari_poll(&conf, &cert, &err);
	if (cs_state_load(conf.dir, &st, &err) < 0)
		memset(&st, 0, sizeof(st));
	helper_sched_input(&conf, &st, &cert, have == 1, time(NULL), &in);
	in.ari_next_poll = 0;		/* just asked */
	in.failures = 0;		/* an operator's command does not wait out the backoff */
	sched_next(&in, &out);
	if (out.at > in.now) {
		fmt_time(out.at, when, sizeof(when));
		printf("not due: renewal at %s (%s)\n", when, out.reason);
		rc = 0;
	} else {
		rc = enroll_now("renew", &conf, out.reason);
	}
out:
	helper_conf_free(&conf);
	return rc;
}

static void fmt_span(int64_t s, char *buf, size_t size)
{
	const char *sign = s < 0 ? "-" : "";

	if (s < 0)
		s = -s;
	if (s >= 86400)
		snprintf(buf, size, "%s%" PRId64 "d%" PRId64 "h", sign, s / 86400, s % 86400 / 3600);
	else if (s >= 3600)
		snprintf(buf, size, "%s%" PRId64 "h%02" PRId64 "m", sign, s / 3600, s % 3600 / 60);
	else
		snprintf(buf, size, "%s%" PRId64 "m%02" PRId64 "s", sign, s / 60, s % 60);
}

int cmd_status(int argc, char **argv)
{
	helper_conf_t conf;
	acme_args_t a;
	cs_state_t st;
	cs_cert_t cert;
	sched_in_t in;
	sched_out_t out;
	ar_err_t err = { 0 };
	int rc = parse(argc, argv, 0, &a, cmd_status_usage), have;
	int64_t now = time(NULL);
	char t1[32], t2[32];

	if (rc)
		return rc < 0 ? 0 : rc;
	if ((rc = helper_load("status", a.config, a.verbose, &conf)))
		return rc;
	have = cs_live_cert(conf.dir, &cert, &err);
	if (cs_state_load(conf.dir, &st, &err) < 0) {
		printf("state         unreadable: %s\n", err.msg);
		memset(&st, 0, sizeof(st));
	}
	if (have == 1) {
		fmt_time(cert.not_after, t1, sizeof(t1));
		fmt_span(cert.not_after - now, t2, sizeof(t2));
		printf("certificate   serial %s\n", cert.serial);
		printf("expires       %s (%s %s)\n", t1, cert.not_after > now ? "in" : "EXPIRED",
		       t2);
		printf("files         %s/live/cert.pem, %s/live/key.pem\n", conf.dir, conf.dir);
	} else {
		printf("certificate   none%s%s\n", have < 0 ? ": " : "", have < 0 ? err.msg : "");
	}
	if (st.posture_at) {
		fmt_time(st.posture_at, t1, sizeof(t1));
		fmt_span(now - st.posture_at, t2, sizeof(t2));
		printf("posture       attested %s (age %s", t1, t2);
		if (conf.fresh) {
			fmt_span(conf.fresh / 1000, t1, sizeof(t1));
			printf(", network limit %s", t1);
		}
		printf(")\n");
	} else {
		printf("posture       never attested by this helper\n");
	}
	if (st.have_window) {
		fmt_time(st.window_start, t1, sizeof(t1));
		fmt_time(st.window_end, t2, sizeof(t2));
		printf("ari window    %s .. %s\n", t1, t2);
	}
	helper_sched_input(&conf, &st, &cert, have == 1, now, &in);
	sched_next(&in, &out);
	fmt_time(out.at, t1, sizeof(t1));
	fmt_span(out.at - now, t2, sizeof(t2));
	printf("next          %s at %s (%s%s) - %s\n", sched_action_name(out.action), t1,
	       out.at > now ? "in " : "due, ", out.at > now ? t2 : "now", out.reason);
	if (st.failures) {
		fmt_time(st.last_failure, t1, sizeof(t1));
		printf("last error    %s (%u failed attempt%s, last %s)\n", st.last_error, st.failures,
		       st.failures > 1 ? "s" : "", t1);
	} else {
		fmt_time(st.last_success, t1, sizeof(t1));
		printf("last error    none (last renewal %s)\n", t1);
	}
	rc = have == 1 && cert.not_after > now ? 0 : 1;
	helper_conf_free(&conf);
	return rc;
}
