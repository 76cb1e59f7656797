# docs.mk - the documentation's part of the Makefile (owned by docs/).
# Included from the top-level Makefile, after the run section:
#     -include docs/docs.mk
#
#   make docs            render docs/diagrams/*.dot to build/docs/*.svg (Graphviz `dot`)
#                        and check that every file and function the docs cite exists
#   make check-docs      only the checks: docs/check_refs.py and tests/docs/ (pytest;
#                        it checks that docs/pictures/ is what its sources render to)
#   make docs-diagrams-update   render docs/diagrams/*.dot into docs/pictures/*.svg, the
#                        pictures the docs link (a browser shows a .dot as text)
#   make docs-pictures   boot a fresh kernel (BIOS path, DOCS_MEM, DOCS_SMP), then draw
#                        its physical memory map (tools/memmap-svg.py) and the
#                        fragmentation plot (tools/fragplot.py) into build/docs/; and a
#                        NUMA boot (DOCS_NUMA nodes, DOCS_NUMA_MEM) for a map with a node
#                        row; optional in CI (it boots QEMU)
#   make docs-pictures-update   the same, copied to docs/pictures/ (with the boot logs
#                        they are drawn from) for committing

DOCS_OUT := $(BUILD)/docs
DOCS_DOT := $(sort $(wildcard docs/diagrams/*.dot))
DOCS_SVG := $(DOCS_DOT:docs/diagrams/%.dot=$(DOCS_OUT)/%.svg)
DOCS_MEM ?= 5G
DOCS_SMP ?= 4
DOCS_CMDLINE ?=
DOCS_LOG := $(DOCS_OUT)/boot-$(DOCS_MEM)-$(DOCS_SMP)cpu.log
DOCS_NUMA ?= 2
DOCS_NUMA_MEM ?= 1G
DOCS_NUMA_NAME := $(DOCS_NUMA_MEM)-numa$(DOCS_NUMA)
DOCS_NUMA_LOG := $(DOCS_OUT)/boot-$(DOCS_NUMA_NAME).log

.PHONY: docs check-docs docs-diagrams-update docs-pictures docs-pictures-update

docs: $(DOCS_SVG) check-docs

$(DOCS_OUT)/%.svg: docs/diagrams/%.dot
	@mkdir -p $(dir $@)
	$(call msg,DOT,$@)
	$(Q)dot -Tsvg $< -o $@

docs-diagrams-update: $(DOCS_SVG)
	@mkdir -p docs/pictures
	cp $(DOCS_SVG) docs/pictures/

# tests/docs/: the checker catches a dangling reference, every diagram renders.
check-docs:
	$(PYTHON) docs/check_refs.py
	$(PYTHON) -m pytest -q tests/docs

# The boot's own exit status is not the point here (a failing self-test is
# worth a picture too), but a boot that printed no memory map is.
docs-pictures: $(ISO) $(BUILD)/tools/memmap
	@mkdir -p $(DOCS_OUT)
	-$(PYTHON) tools/run.py --path bios --mem '$(DOCS_MEM)' --smp '$(DOCS_SMP)' \
		--cmdline '$(DOCS_CMDLINE)' --timeout 300 --log $(DOCS_LOG) > /dev/null
	$(PYTHON) tools/memmap-svg.py -o $(DOCS_OUT)/memmap-$(DOCS_MEM).svg \
		--title "Physical memory map: QEMU, $(DOCS_MEM), $(DOCS_SMP) CPUs, BIOS path" $(DOCS_LOG)
	$(PYTHON) tools/fragplot.py -o $(DOCS_OUT)/frag-$(DOCS_MEM).svg \
		--title "Free pages per order: QEMU, $(DOCS_MEM), $(DOCS_SMP) CPUs" $(DOCS_LOG)
	-$(PYTHON) tools/run.py --path bios --mem '$(DOCS_NUMA_MEM)' --smp '$(DOCS_NUMA)' \
		--numa '$(DOCS_NUMA)' --cmdline 'ktest=none selftest=0' --timeout 300 \
		--log $(DOCS_NUMA_LOG) > /dev/null
	$(PYTHON) tools/memmap-svg.py -o $(DOCS_OUT)/memmap-$(DOCS_NUMA_NAME).svg \
		--title "Physical memory map: QEMU, $(DOCS_NUMA_MEM), $(DOCS_NUMA) NUMA nodes, BIOS path" \
		$(DOCS_NUMA_LOG)
	@echo "docs-pictures: $(DOCS_OUT)/memmap-$(DOCS_MEM).svg $(DOCS_OUT)/frag-$(DOCS_MEM).svg" \
		"$(DOCS_OUT)/memmap-$(DOCS_NUMA_NAME).svg"

docs-pictures-update: docs-pictures
	@mkdir -p docs/pictures
	cp $(DOCS_OUT)/memmap-$(DOCS_MEM).svg $(DOCS_OUT)/frag-$(DOCS_MEM).svg \
		$(DOCS_OUT)/memmap-$(DOCS_NUMA_NAME).svg docs/pictures/
	cp $(DOCS_LOG) docs/pictures/boot-$(DOCS_MEM)-$(DOCS_SMP)cpu.log
	cp $(DOCS_NUMA_LOG) docs/pictures/boot-$(DOCS_NUMA_NAME).log
