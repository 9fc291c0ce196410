# How every number was made: config, software, inputs, a methods paragraph; and
# what makes results/ a BIDS derivatives dataset that pybids and BIDS tools read.


rule provenance:
    input:
        files=all_inputs,
        mask=learned_regions_mask,
        reduction=components_sidecar,
        regions=APPLIED or [],
        table=REGIONS.table,
        design=rules.statistics_design.output.sidecar if CONTRAST else [],
        exclusions=exclusions_if_checking,
    output:
        provenance="results/provenance.json",
        methods="results/methods.md",
        description="results/dataset_description.json",
        bidsignore="results/.bidsignore",
    log:
        "results/logs/provenance.log",
    benchmark:
        "results/benchmarks/provenance.tsv"
    # Below the default 0: the record waits for a core that nothing else needs
    # (once the group mask exists, that is while the decomposition runs on one).
    priority: -1
    conda:
        ENV
    threads: 1
    resources:
        mem_mb=memory(500),
        runtime=30,
    params:
        config=config,
        subjects=group_subjects,
        excluded=all_excluded,
        resampled={"to": GRID_REFERENCE, "subjects": RESAMPLED},
        n_volumes=group_volumes,
        # Inputs' checksums by size and modification time, so that a subject
        # added costs the hashing of its own files only.
        checksums=CHECKSUMS,
        code=code_source(),
        sources=source_datasets(),
    script:
        "../scripts/provenance.py"
