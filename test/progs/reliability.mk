# Load generators of test/reliability/*.test.ts and bench/soak (included by Makefile).
RELIABILITY_PROGS := storm
all: $(addprefix $(OUT)/,$(RELIABILITY_PROGS))
