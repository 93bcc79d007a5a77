# Tester programs of test/kernel/enforce-*.test.ts (included by Makefile).
ENFORCE_PROGS := enforce-net enforce-read enforce-marker enforce-nsexec
all: $(addprefix $(OUT)/,$(ENFORCE_PROGS))
