# Per-subject timeseries and matrices, group mean connectome.


rule subject_timeseries:
    input:
        func=func_of,
        confounds=confounds_of,
        regions=rules.extract_regions.output.regions,
        table=rules.extract_regions.output.table,
    output:
        timeseries="results/sub-{subject}/sub-{subject}_timeseries.tsv",
    log:
        "results/logs/subject_timeseries/sub-{subject}.log",
    benchmark:
        "results/benchmarks/subject_timeseries/sub-{subject}.tsv"
    group:
        "subject_timeseries"
    conda:
        ENV
    threads: 1
    resources:
        mem_mb=memory(2000),
        runtime=30,
    params:
        regions=pick(
            "regions",
            [
                "smoothing_fwhm",
                "standardize",
                "standardize_confounds",
                "detrend",
                "low_pass",
                "high_pass",
                "t_r",
            ],
        ),
        confound_columns=config["confounds"]["columns"],
    script:
        "../scripts/subject_timeseries.py"


rule subject_connectivity:
    input:
        timeseries=rules.subject_timeseries.output.timeseries,
    output:
        relmat="results/sub-{subject}/sub-{subject}_meas-{kind}_relmat.tsv",
    log:
        "results/logs/subject_connectivity/sub-{subject}_meas-{kind}.log",
    benchmark:
        "results/benchmarks/subject_connectivity/sub-{subject}_meas-{kind}.tsv"
    group:
        "subject_timeseries"
    conda:
        ENV
    threads: 1
    resources:
        mem_mb=memory(1000),
        runtime=10,
    params:
        kind=kind_of,
    script:
        "../scripts/subject_connectivity.py"


rule group_connectivity:
    input:
        relmats=subject_relmats,
    output:
        relmat="results/group/meas-{kind}_relmat.tsv",
    log:
        "results/logs/group_connectivity/meas-{kind}.log",
    benchmark:
        "results/benchmarks/group_connectivity/meas-{kind}.tsv"
    conda:
        ENV
    threads: 1
    resources:
        mem_mb=memory(1000),
        runtime=10,
    script:
        "../scripts/group_connectivity.py"
