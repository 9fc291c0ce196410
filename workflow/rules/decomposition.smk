# Group mask, per-subject reduction, group decomposition.


rule subject_epi_mask:
    input:
        func=func_of,
        func_stamp=func_stamp_of,
    output:
        mask=f"{RUN}_desc-epi_mask.nii.gz",
    log:
        "results/logs/subject_epi_mask/{run}.log",
    benchmark:
        "results/benchmarks/subject_epi_mask/{run}.tsv"
    conda:
        ENV
    threads: 1
    resources:
        mem_mb=memory(1500),
        runtime=10,
    params:
        label=input_of,
    script:
        "../scripts/subject_epi_mask.py"


rule group_mask:
    input:
        unpack(group_mask_inputs),
    output:
        mask="results/group/mask.nii.gz",
    log:
        "results/logs/group_mask.log",
    benchmark:
        "results/benchmarks/group_mask.tsv"
    conda:
        ENV
    threads: 1
    resources:
        mem_mb=memory(1000),
        runtime=10,
    params:
        mask=config["mask"],
    script:
        "../scripts/group_mask.py"


rule reduce_subject:
    input:
        func=func_of,
        func_stamp=func_stamp_of,
        mask=rules.group_mask.output.mask,
    output:
        **({"smoothed": SMOOTHED} if KEEP_SMOOTHED else {}),
        reduced=f"{RUN}_desc-reduced_data.npy",
    log:
        "results/logs/reduce_subject/{run}.log",
    benchmark:
        "results/benchmarks/reduce_subject/{run}.tsv"
    conda:
        ENV
    threads: 1
    resources:
        mem_mb=memory(2000),
        runtime=30,
    params:
        label=input_of,
        decomposition=pick("decomposition", REDUCTION_KEYS),
    script:
        "../scripts/reduce_subject.py"


rule decompose:
    input:
        reduced=every_run(rules.reduce_subject.output.reduced),
        mask=rules.group_mask.output.mask,
    output:
        components="results/group/components.nii.gz",
        # which path learned them (every row, or MIGP's), for the provenance
        sidecar="results/group/components.json",
    log:
        "results/logs/decompose.log",
    benchmark:
        "results/benchmarks/decompose.tsv"
    conda:
        ENV
    # Its second thread splits FastICA's cube and the voxels' coding, which
    # give the same numbers in any split; BLAS stays at one thread in the job,
    # as nilearn's components depend on its thread count. It runs alone
    # (every run's reduction comes before it, every later job after it).
    threads: 2
    # What learning from every row needs (it grows with the inputs), at most
    # the budget, past which the decomposition streams.
    resources:
        mem_mb=decomposition_memory(config["decomposition"]["memory_mb"]),
        runtime=120,
    params:
        # The components depend on the order of the subjects' data: a
        # reordered sample sheet reruns the decomposition and all after it.
        subjects=group_labels,
        method=config["decomposition"]["method"],
        decomposition=pick(
            "decomposition", estimator_keys(config["decomposition"]["method"])
        ),
        memory_mb=config["decomposition"]["memory_mb"],
    script:
        "../scripts/decompose.py"


# The demo cohort: each planted network, the component paired with it and
# their spatial correlation (the demo's test of the decomposition).
rule demo_recovery:
    input:
        networks=rules.demo_ground_truth.output.networks,
        components=rules.decompose.output.components,
        mask=rules.group_mask.output.mask,
    output:
        table=report(
            "results/group/demo_recovery.tsv",
            category="Decomposition",
            caption="../report/demo_recovery.rst",
        ),
    log:
        "results/logs/demo_recovery.log",
    benchmark:
        "results/benchmarks/demo_recovery.tsv"
    conda:
        ENV
    threads: 1
    resources:
        mem_mb=memory(1000),
        runtime=10,
    script:
        "../scripts/demo_recovery.py"
