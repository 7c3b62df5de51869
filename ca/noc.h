/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * @file noc.h
 * @brief The NOC event worker of acme-rats-ca: reads the posture event
 *	  stream and acts - RADIUS Disconnect-Request to the NAS of every live
 *	  session of a flagged device, and ARI "renew now" for its certificates.
 */
#ifndef AR_CA_NOC_H
#define AR_CA_NOC_H

#include <pthread.h>
#include <stdint.h>

#include "conf.h"
#include "radius.h"
#include "store.h"

/** [nas "name"]: a NAS whose Dynamic Authorization Server takes our Disconnect-Requests. */
typedef struct noc_nas {
	char		*name;
	char		*address;		/**< where its DAS listens (IPv4/IPv6) */
	int64_t		das_port;		/**< 3799 */
	char		*secret_file;		/**< the DAS shared secret (mode 0600) */
	char		*nas_ip;		/**< sessions with this NAS-IP-Address are its own */
	char		*nas_identifier;	/**< sessions with this NAS-Identifier are its own */
	int64_t		timeout;		/**< ms per try */
	int64_t		retries;		/**< tries after the first */
	char		secret[AR_RADIUS_SECRET_MAX + 1];
} noc_nas_t;

/** [events]. */
typedef struct noc_conf {
	int		worker;			/**< run the worker in this CA */
	char		*group;			/**< consumer group, "noc" */
	char		*consumer;		/**< this worker's name; default the host name */
	int64_t		reclaim_after;		/**< ms: take over entries a crashed worker left */
	int		disconnect;		/**< send Disconnect-Requests */
	noc_nas_t	*nas;
	size_t		nnas;
} noc_conf_t;

extern const ar_conf_rule_t noc_event_rules[];
/** daemon_section_t.each for [nas "name"]; @p base is the noc_conf_t. */
int noc_nas_bind(void *base, const ar_conf_section_t *s, ar_err_t *err);
void noc_conf_free(noc_conf_t *c);

/** One event's worth of work, for the worker and for tests. */
typedef struct noc_result {
	int		disconnected;		/**< sessions acknowledged gone */
	int		failed;			/**< sessions whose NAS did not confirm */
	int		marked;			/**< certificates marked renew-now */
	int		dm[4];			/**< Disconnect results: NOC_DM_* */
} noc_result_t;

/** Disconnect-Request results, the values of acme_rats_disconnects_total{result}. */
enum { NOC_DM_ACK, NOC_DM_NAK, NOC_DM_TIMEOUT, NOC_DM_NO_NAS };

typedef struct noc {
	const noc_conf_t *conf;
	ar_store_opts_t	store_opts;
	pthread_t	thread;
	int		running;
	volatile int	stop;
	ar_metrics_t	*metrics;	/**< the CA's registry, or NULL */
	size_t		dm_metric;	/**< its family counting NOC_DM_* results */
} noc_t;

/** Start the worker thread (if [events] worker = yes). */
int noc_start(noc_t *n, const noc_conf_t *c, const ar_store_opts_t *so, ar_err_t *err);
void noc_stop(noc_t *n);

#endif
