# SPDX-License-Identifier: GPL-2.0-or-later
# Fuzz targets of the TPM evidence decoders (verifier/libartpm.la): the
# TPM structures (TPMS_ATTEST, TPMT_SIGNATURE, TPMT_PUBLIC), the TCG2 boot
# log, the IMA list and the collection that carries them (tpm_cmw).
FUZZ_TPM_CFLAGS = $(FUZZ_CFLAGS) -I$(top_srcdir)/verifier $(TSS2_MU_CFLAGS)
FUZZ_TPM_LIBS = verifier/libartpm.la $(FUZZ_LIBS) $(TSS2_MU_LIBS)

FUZZ_PROGS += fuzz/fuzz_tpm_struct
FUZZ_TESTS += fuzz/replay-tpm_struct.test
fuzz_fuzz_tpm_struct_SOURCES = fuzz/fuzz_tpm_struct.c $(fuzz_driver)
fuzz_fuzz_tpm_struct_CPPFLAGS = $(FUZZ_TPM_CFLAGS)
fuzz_fuzz_tpm_struct_LDADD = $(FUZZ_TPM_LIBS)
fuzz_fuzz_tpm_struct_LDFLAGS = $(fuzz_ldflags)

FUZZ_PROGS += fuzz/fuzz_tcg_log
FUZZ_TESTS += fuzz/replay-tcg_log.test
fuzz_fuzz_tcg_log_SOURCES = fuzz/fuzz_tcg_log.c $(fuzz_driver)
fuzz_fuzz_tcg_log_CPPFLAGS = $(FUZZ_TPM_CFLAGS)
fuzz_fuzz_tcg_log_LDADD = $(FUZZ_TPM_LIBS)
fuzz_fuzz_tcg_log_LDFLAGS = $(fuzz_ldflags)

FUZZ_PROGS += fuzz/fuzz_ima_list
FUZZ_TESTS += fuzz/replay-ima_list.test
fuzz_fuzz_ima_list_SOURCES = fuzz/fuzz_ima_list.c $(fuzz_driver)
fuzz_fuzz_ima_list_CPPFLAGS = $(FUZZ_TPM_CFLAGS)
fuzz_fuzz_ima_list_LDADD = $(FUZZ_TPM_LIBS)
fuzz_fuzz_ima_list_LDFLAGS = $(fuzz_ldflags)

FUZZ_PROGS += fuzz/fuzz_tpm_cmw
FUZZ_TESTS += fuzz/replay-tpm_cmw.test
fuzz_fuzz_tpm_cmw_SOURCES = fuzz/fuzz_tpm_cmw.c $(fuzz_driver)
fuzz_fuzz_tpm_cmw_CPPFLAGS = $(FUZZ_TPM_CFLAGS)
fuzz_fuzz_tpm_cmw_LDADD = $(FUZZ_TPM_LIBS)
fuzz_fuzz_tpm_cmw_LDFLAGS = $(fuzz_ldflags)

# What a device sends to enrol its TPM: EK and AK public areas, EK certificate.
FUZZ_PROGS += fuzz/fuzz_tpm_ek
FUZZ_TESTS += fuzz/replay-tpm_ek.test
fuzz_fuzz_tpm_ek_SOURCES = fuzz/fuzz_tpm_ek.c $(fuzz_driver)
fuzz_fuzz_tpm_ek_CPPFLAGS = $(FUZZ_TPM_CFLAGS)
fuzz_fuzz_tpm_ek_LDADD = $(FUZZ_TPM_LIBS)
fuzz_fuzz_tpm_ek_LDFLAGS = $(fuzz_ldflags)
