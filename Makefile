# racefix: nvme-tcp, nvme (PCI), smc and rpcrdma modules with the race
# fixes their Debian kernel lacks. See README.md.
#
#   make [KVER=release] [KDIR=headers] [KSRC=tree] [DRIVERS="nvme-tcp ..."]
#   make prepare | clean | check | ledger | deb
#
# DKMS runs `make KVER=$kernelver` (dkms.conf); the modules land in
# build/$(KVER)/<driver dir>/<kernel tree path>/.

KVER ?= $(shell uname -r)
KDIR ?= /lib/modules/$(KVER)/build
KSRC ?=
DRIVERS ?=

all: modules

modules:
	scripts/build --kver $(KVER) --kdir $(KDIR) $(if $(KSRC),--ksrc $(KSRC)) $(DRIVERS)

# import and patch the sources of KVER's exact Debian version, no compile:
# what an offline DKMS build of that kernel needs beforehand
prepare:
	scripts/build --prepare-only --kver $(KVER) --kdir $(KDIR) $(if $(KSRC),--ksrc $(KSRC)) $(DRIVERS)

clean:
	rm -rf build/$(KVER)

# the test suite: tests/check [group/test...]; T= picks tests
check:
	@$(MAKE) -s ledger
	tests/check $(T)

# check plus the slow tests: the lab's reproducers, the SMC pair, the matrix
check-full:
	@$(MAKE) -s ledger
	RACEFIX_CHECK=full tests/check $(T)

# the QEMU regression lab (tests/lab/run) on Debian kernels: KERNELS="5.10 6.1 6.12"
lab: KERNELS ?= 6.1
lab:
	tests/lab/run --kernels "$(KERNELS)"

# every race fix's proof in one run (tests/lab/repro): reproducers on the
# fix's affected and fixed debug builds; FIXES= founding, later or names
repro: KERNELS ?= 6.1
repro:
	tests/lab/repro --kernels "$(KERNELS)" $(if $(FIXES),--fixes "$(FIXES)")

# the Debian packages (debian/, built by scripts/deb) in build/deb/; they
# bundle the Debian driver sources of each series' newest kernel image
deb:
	scripts/deb

ledger:
	@for s in $$(awk '!/^#/ && NF { print $$1 }' scripts/series.txt); do \
		echo "== Linux $$s"; scripts/ledger table $$s; echo; done

.PHONY: all modules prepare clean check check-full ledger deb lab repro
