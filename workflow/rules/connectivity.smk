# Per-subject timeseries and matrices, group connectomes.


rule subject_timeseries:
    input:
        func=func_of,
        func_stamp=func_stamp_of,
        confounds=confounds_of,
        confounds_stamp=confounds_stamp_of,
        regions=REGIONS.regions,
        table=REGIONS.table,
        smoothed=smoothed_data,
        mask=learned_regions_mask,
    output:
        timeseries=f"{RUN_REGIONS}_timeseries.tsv",
        sidecar=f"{RUN_REGIONS}_timeseries.json",
        qc=f"{RUN_FILES}_qc.tsv",
        relmats=expand(f"{RELMAT}.tsv", run="{run}", kind=SUBJECT_KINDS),
        relmat_sidecars=expand(f"{RELMAT}.json", run="{run}", kind=SUBJECT_KINDS),
    log:
        "results/logs/subject_timeseries/{run}.log",
    benchmark:
        "results/benchmarks/subject_timeseries/{run}.tsv"
    # Before the figures of the regions: every group connectome, table and
    # figure after them waits for the last run's timeseries.
    priority: 1
    conda:
        ENV
    threads: 1
    resources:
        mem_mb=memory(2000),
        runtime=30,
    params:
        label=input_of,
        regions=timeseries_params,
        confounds=config["confounds"],
        source_func=source_func_of,
        kinds=[KINDS[name] for name in SUBJECT_KINDS],
    script:
        "../scripts/subject_timeseries.py"


rule group_connectivity:
    input:
        relmats=every_run(f"{RELMAT}.tsv"),
        sidecars=every_run(f"{RELMAT}.json"),
        regions=REGIONS.regions,
    output:
        group="results/group/meas-{kind}_relmat.tsv",
        group_sidecar="results/group/meas-{kind}_relmat.json",
    log:
        "results/logs/group_connectivity/meas-{kind}.log",
    benchmark:
        "results/benchmarks/group_connectivity/meas-{kind}.tsv"
    wildcard_constraints:
        kind="|".join(SUBJECT_KINDS),
    conda:
        ENV
    threads: 1
    resources:
        mem_mb=memory(1000),
        runtime=10,
    params:
        kind=kind_of,
        unit=config["group_unit"],
    script:
        "../scripts/group_connectivity.py"


# The tangent kind is fitted on the whole group: one job writes every subject's
# matrix and the group reference.
rule tangent_connectivity:
    input:
        timeseries=every_run(rules.subject_timeseries.output.timeseries),
        sidecars=every_run(rules.subject_timeseries.output.sidecar),
        regions=REGIONS.regions,
    output:
        relmats=expand(f"{RELMAT}.tsv", run=RUN_PREFIX.values(), kind="tangent"),
        sidecars=expand(f"{RELMAT}.json", run=RUN_PREFIX.values(), kind="tangent"),
        group="results/group/meas-tangent_relmat.tsv",
        group_sidecar="results/group/meas-tangent_relmat.json",
    log:
        "results/logs/tangent_connectivity.log",
    benchmark:
        "results/benchmarks/tangent_connectivity.tsv"
    conda:
        ENV
    threads: 1
    resources:
        mem_mb=memory(1000),
        runtime=10,
    params:
        subjects=list(INCLUDED.index),
        unit=config["group_unit"],
    script:
        "../scripts/tangent_connectivity.py"


rule connectivity_table:
    input:
        relmats=every_run(f"{RELMAT}.tsv", kind=KINDS),
        sidecars=every_run(f"{RELMAT}.json", kind=KINDS),
    output:
        table="results/group/relmats_long.tsv",
    log:
        "results/logs/connectivity_table.log",
    benchmark:
        "results/benchmarks/connectivity_table.tsv"
    conda:
        ENV
    threads: 1
    resources:
        mem_mb=memory(1000),
        runtime=10,
    script:
        "../scripts/connectivity_table.py"


# The fraction of each region's voxels with signal, per subject.
rule coverage_table:
    input:
        sidecars=every_run(rules.subject_timeseries.output.sidecar),
        table=REGIONS.table,
    output:
        table="results/group/coverage.tsv",
    log:
        "results/logs/coverage_table.log",
    benchmark:
        "results/benchmarks/coverage_table.tsv"
    conda:
        ENV
    threads: 1
    resources:
        mem_mb=memory(500),
        runtime=10,
    script:
        "../scripts/coverage_table.py"
