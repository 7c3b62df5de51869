/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The AK registry against a real redis-server: one AK per device, an AK for
 * one device only, re-enrolment only when asked for, and a clock that only
 * moves forward.
 */
#include "config.h"

#include "testutil.h"
#include "lab/lab.h"
#include "store.h"
#include "tpm_registry.h"

static lab_redis_t redis;
static ar_store_t *st;

/* An enrolment record whose public area and Name are derived from @seed. */
static void record(ar_tpm_enrolled_t *e, uint8_t seed)
{
	memset(e, 0, sizeof(*e));
	memset(e->ak_pub, seed, 90);
	e->ak_pub_len = 90;
	e->ak_name[0] = 0x00;
	e->ak_name[1] = 0x0b;	/* TPM2_ALG_SHA256 */
	memset(e->ak_name + 2, seed ^ 0x5a, 32);
	e->ak_name_len = 34;
	memset(e->ek, seed ^ 0xa5, sizeof(e->ek));
	e->ek_source = AR_TPM_EK_CERT;
}

static ar_tpm_clock_t clk(uint32_t reset, uint32_t restart, uint64_t clock)
{
	ar_tpm_clock_t c = { .clock = clock, .reset_count = reset, .restart_count = restart };

	return c;
}

static void test_registry_put_get_roundtrip(void **state)
{
	ar_tpm_enrolled_t e, got;
	ar_err_t err = { 0 };
	char owner[AR_STORE_DEVICE_MAX + 1];

	(void)state;
	record(&e, 1);
	e.ek_source = AR_TPM_EK_PUB;
	assert_int_equal(ar_tpm_registry_get(st, "laptop-1", &got, &err), AR_TPM_AK_NOT_ENROLLED);
	assert_int_equal(ar_tpm_registry_put(st, "laptop-1", &e, 0, &err), AR_TPM_OK);
	assert_int_equal(ar_tpm_registry_get(st, "laptop-1", &got, &err), AR_TPM_OK);
	assert_int_equal(got.ak_pub_len, e.ak_pub_len);
	assert_memory_equal(got.ak_pub, e.ak_pub, e.ak_pub_len);
	assert_int_equal(got.ak_name_len, e.ak_name_len);
	assert_memory_equal(got.ak_name, e.ak_name, e.ak_name_len);
	assert_memory_equal(got.ek, e.ek, sizeof(e.ek));
	assert_int_equal(got.ek_source, AR_TPM_EK_PUB);
	assert_true(got.enrolled_at > 1700000000);
	assert_int_equal(got.clock_set, 0);
	assert_int_equal(ar_tpm_registry_owner(st, e.ak_name, e.ak_name_len, owner, &err),
			 AR_TPM_OK);
	assert_string_equal(owner, "laptop-1");

	/* The same AK again: nothing changes, the clock included. */
	ar_tpm_clock_t c = clk(3, 0, 5000);
	assert_int_equal(ar_tpm_registry_clock_advance(st, "laptop-1", e.ak_name, e.ak_name_len,
						       &c, &err), AR_TPM_OK);
	assert_int_equal(ar_tpm_registry_put(st, "laptop-1", &e, 0, &err), AR_TPM_OK);
	assert_int_equal(ar_tpm_registry_get(st, "laptop-1", &got, &err), AR_TPM_OK);
	assert_int_equal(got.clock_set, 1);
	assert_int_equal(got.clock.reset_count, 3);
	assert_int_equal(got.clock.clock, 5000);
}

static void test_ak_enrolled_for_another_device_refused(void **state)
{
	ar_tpm_enrolled_t e, got;
	ar_err_t err = { 0 };
	char owner[AR_STORE_DEVICE_MAX + 1];

	(void)state;
	record(&e, 2);
	assert_int_equal(ar_tpm_registry_put(st, "laptop-a", &e, 0, &err), AR_TPM_OK);
	assert_int_equal(ar_tpm_registry_put(st, "laptop-b", &e, AR_TPM_REG_REENROLL, &err),
			 AR_TPM_AK_OTHER_DEVICE);
	assert_err(&err, AR_ERR_CONFLICT, "tpm_ak_other_device");
	assert_int_equal(ar_tpm_registry_get(st, "laptop-b", &got, &err), AR_TPM_AK_NOT_ENROLLED);
	assert_int_equal(ar_tpm_registry_owner(st, e.ak_name, e.ak_name_len, owner, &err),
			 AR_TPM_OK);
	assert_string_equal(owner, "laptop-a");
}

static void test_device_with_another_ak_reenrolment_refused_unless_allowed(void **state)
{
	ar_tpm_enrolled_t a, b, got;
	ar_err_t err = { 0 };
	char owner[AR_STORE_DEVICE_MAX + 1];
	ar_tpm_clock_t c = clk(9, 1, 100);

	(void)state;
	record(&a, 3);
	record(&b, 4);
	assert_int_equal(ar_tpm_registry_put(st, "gw-7", &a, 0, &err), AR_TPM_OK);
	assert_int_equal(ar_tpm_registry_clock_advance(st, "gw-7", a.ak_name, a.ak_name_len, &c,
						       &err), AR_TPM_OK);
	assert_int_equal(ar_tpm_registry_put(st, "gw-7", &b, 0, &err), AR_TPM_AK_ALREADY_ENROLLED);
	assert_err(&err, AR_ERR_CONFLICT, "enrolled with another AK");
	/* The refused AK's Name was given back: another device may enrol it. */
	assert_int_equal(ar_tpm_registry_owner(st, b.ak_name, b.ak_name_len, owner, &err),
			 AR_TPM_AK_NOT_ENROLLED);
	assert_int_equal(ar_tpm_registry_get(st, "gw-7", &got, &err), AR_TPM_OK);
	assert_memory_equal(got.ak_name, a.ak_name, a.ak_name_len);

	/* Re-enrolment asked for: the new AK, a fresh clock, the old Name released. */
	assert_int_equal(ar_tpm_registry_put(st, "gw-7", &b, AR_TPM_REG_REENROLL, &err),
			 AR_TPM_OK);
	assert_int_equal(ar_tpm_registry_get(st, "gw-7", &got, &err), AR_TPM_OK);
	assert_memory_equal(got.ak_name, b.ak_name, b.ak_name_len);
	assert_int_equal(got.clock_set, 0);
	assert_int_equal(ar_tpm_registry_owner(st, a.ak_name, a.ak_name_len, owner, &err),
			 AR_TPM_AK_NOT_ENROLLED);
	/* Evidence from the replaced AK is refused. */
	c = clk(10, 0, 1);
	assert_int_equal(ar_tpm_registry_clock_advance(st, "gw-7", a.ak_name, a.ak_name_len, &c,
						       &err), AR_TPM_AK_NOT_ENROLLED);
}

static void test_reset_count_going_backwards_refused(void **state)
{
	ar_tpm_enrolled_t e, got;
	ar_err_t err = { 0 };
	ar_tpm_clock_t c;

	(void)state;
	record(&e, 5);
	assert_int_equal(ar_tpm_registry_put(st, "laptop-5", &e, 0, &err), AR_TPM_OK);
	c = clk(4, 2, 1000);
	assert_int_equal(ar_tpm_registry_clock_advance(st, "laptop-5", e.ak_name, e.ak_name_len,
						       &c, &err), AR_TPM_OK);
	c = clk(3, 7, 999999);
	assert_int_equal(ar_tpm_registry_clock_advance(st, "laptop-5", e.ak_name, e.ak_name_len,
						       &c, &err), AR_TPM_CLOCK_REPLAY);
	assert_err(&err, AR_ERR_BAD_NONCE, "tpm_clock_replay");
	/* The same clock again is a replay as well. */
	c = clk(4, 2, 1000);
	assert_int_equal(ar_tpm_registry_clock_advance(st, "laptop-5", e.ak_name, e.ak_name_len,
						       &c, &err), AR_TPM_CLOCK_REPLAY);
	assert_int_equal(ar_tpm_registry_get(st, "laptop-5", &got, &err), AR_TPM_OK);
	assert_int_equal(got.clock.reset_count, 4);
	assert_int_equal(got.clock.restart_count, 2);
	assert_int_equal(got.clock.clock, 1000);
	/* A new boot moves on. */
	c = clk(5, 0, 10);
	assert_int_equal(ar_tpm_registry_clock_advance(st, "laptop-5", e.ak_name, e.ak_name_len,
						       &c, &err), AR_TPM_OK);
}

static void test_clock_of_unenrolled_device_refused(void **state)
{
	ar_tpm_enrolled_t e;
	ar_err_t err = { 0 };
	ar_tpm_clock_t c = clk(1, 0, 1);

	(void)state;
	record(&e, 6);
	assert_int_equal(ar_tpm_registry_clock_advance(st, "nobody", e.ak_name, e.ak_name_len, &c,
						       &err), AR_TPM_AK_NOT_ENROLLED);
	assert_err(&err, AR_ERR_NOT_FOUND, "tpm_ak_not_enrolled");
}

static void test_registry_del_releases_the_name(void **state)
{
	ar_tpm_enrolled_t e, got;
	ar_err_t err = { 0 };

	(void)state;
	record(&e, 7);
	assert_int_equal(ar_tpm_registry_put(st, "old", &e, 0, &err), AR_TPM_OK);
	assert_int_equal(ar_tpm_registry_del(st, "old", &err), AR_TPM_OK);
	assert_int_equal(ar_tpm_registry_get(st, "old", &got, &err), AR_TPM_AK_NOT_ENROLLED);
	assert_int_equal(ar_tpm_registry_put(st, "new", &e, 0, &err), AR_TPM_OK);
	assert_int_equal(ar_tpm_registry_del(st, "never", &err), AR_TPM_OK);
}

static void test_registry_bad_device_id_refused(void **state)
{
	ar_tpm_enrolled_t e;
	ar_err_t err = { 0 };

	(void)state;
	record(&e, 8);
	assert_int_equal(ar_tpm_registry_put(st, "a}b", &e, 0, &err), AR_TPM_INTERNAL);
	assert_err(&err, AR_ERR_MALFORMED, "tpm registry");
	e.ak_name_len = 3;
	assert_int_equal(ar_tpm_registry_put(st, "ok", &e, 0, &err), AR_TPM_INTERNAL);
	assert_err(&err, AR_ERR_MALFORMED, "Name");
}

static int group_setup(void **state)
{
	ar_store_opts_t o = { 0 };
	ar_err_t err = { 0 };

	(void)state;
	if (lab_init() < 0 || lab_redis_start(&redis) < 0)
		return -1;
	o.port = redis.port;
	o.prefix = "tpmreg";
	st = ar_store_open(&o, &err);
	if (!st)
		fprintf(stderr, "# ar_store_open: %s\n", err.msg);
	return st ? 0 : -1;
}

static int group_teardown(void **state)
{
	(void)state;
	ar_store_close(st);
	return lab_redis_stop(&redis);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_registry_put_get_roundtrip),
		cmocka_unit_test(test_ak_enrolled_for_another_device_refused),
		cmocka_unit_test(test_device_with_another_ak_reenrolment_refused_unless_allowed),
		cmocka_unit_test(test_reset_count_going_backwards_refused),
		cmocka_unit_test(test_clock_of_unenrolled_device_refused),
		cmocka_unit_test(test_registry_del_releases_the_name),
		cmocka_unit_test(test_registry_bad_device_id_refused),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
