# Inputs: the synthetic demo cohort (subjects: demo), ground truth beside it;
# images resampled to the common grid (inputs: grid_mismatch: resample).


rule demo_ground_truth:
    output:
        networks="results/sourcedata/demo/ground_truth/networks.nii.gz",
        brain_mask="results/sourcedata/demo/ground_truth/brain_mask.nii.gz",
        blobs="results/sourcedata/demo/ground_truth/blobs.tsv",
        coupling="results/sourcedata/demo/ground_truth/coupling.tsv",
    log:
        "results/logs/demo_ground_truth.log",
    benchmark:
        "results/benchmarks/demo_ground_truth.tsv"
    conda:
        ENV
    threads: 1
    resources:
        mem_mb=memory(1000),
        runtime=10,
    params:
        demo=pick(
            "demo",
            ["voxel_size", "n_networks", "blobs_per_network", "blob_sigma_mm", "seed"],
        ),
    script:
        "../scripts/demo_ground_truth.py"


rule demo_subject:
    input:
        networks=rules.demo_ground_truth.output.networks,
        brain_mask=rules.demo_ground_truth.output.brain_mask,
        coupling=rules.demo_ground_truth.output.coupling,
    output:
        func=DEMO_FUNC,
        confounds=DEMO_CONFOUNDS,
        truth="results/sourcedata/demo/sub-{subject}/sub-{subject}_desc-truth_timeseries.tsv",
    log:
        "results/logs/demo_subject/sub-{subject}.log",
    benchmark:
        "results/benchmarks/demo_subject/sub-{subject}.tsv"
    conda:
        ENV
    threads: 1
    resources:
        mem_mb=memory(1500),
        runtime=10,
    params:
        demo=pick(
            "demo",
            [
                "n_volumes",
                "t_r",
                "seed",
                "motion_amplitude",
                "motion_spread",
                "motion_leak",
                "group_difference",
            ],
        ),
        group=lambda wildcards: demo_group(wildcards.subject),
    script:
        "../scripts/demo_subject.py"


# An image off the common grid (inputs: grid_mismatch: resample).
rule resample_func:
    input:
        func=source_func_of,
        func_stamp=func_stamp_of,
        reference=reference_func(),
    output:
        func=f"{RUN}_desc-resampled_bold.nii.gz",
    log:
        "results/logs/resample_func/{run}.log",
    benchmark:
        "results/benchmarks/resample_func/{run}.tsv"
    conda:
        ENV
    threads: 1
    resources:
        mem_mb=memory(3000),
        runtime=20,
    params:
        label=input_of,
    script:
        "../scripts/resample_func.py"


# A run's image data, read once before the group stages when the config
# leaves out what its jobs could not use (exclusions: unusable: exclude).
rule check_image:
    input:
        func=source_func_of,
        func_stamp=func_stamp_of,
    output:
        check=CHECK,
    log:
        "results/logs/check_image/{run}.log",
    benchmark:
        "results/benchmarks/check_image/{run}.tsv"
    conda:
        ENV
    threads: 1
    resources:
        mem_mb=memory(1500),
        runtime=10,
    params:
        label=input_of,
        epi_mask=config["mask"] == "epi" and not APPLIED,
    script:
        "../scripts/check_image.py"


# Who was left out of the group stages and why (exclusions: in the config):
# a checkpoint, since the runs' checks decide who the group stages read.
checkpoint exclusions:
    input:
        files=all_inputs,
        checks=every_check,
    output:
        table="results/group/exclusions.tsv",
    log:
        "results/logs/exclusions.log",
    benchmark:
        "results/benchmarks/exclusions.tsv"
    conda:
        ENV
    threads: 1
    resources:
        mem_mb=memory(500),
        runtime=10,
    params:
        criteria=config["exclusions"],
        excluded=excluded_subjects(),
        subjects=subject_files(),
    script:
        "../scripts/exclusions.py"


# What became of every input the sources hold: included or excluded and why,
# on the common grid or resampled to it, and its participant; and every file
# this configuration produces, with the input it belongs to.
rule inputs_ledger:
    input:
        exclusions=exclusions_if_checking,
    output:
        table="results/group/inputs.tsv",
        outputs="results/group/outputs.tsv",
    log:
        "results/logs/inputs_ledger.log",
    benchmark:
        "results/benchmarks/inputs_ledger.tsv"
    conda:
        ENV
    threads: 1
    resources:
        mem_mb=memory(500),
        runtime=10,
    params:
        records=ledger_records,
        # the files rule all asks for: known once every rule is defined
        outputs=requested_files,
        prefixes=RUN_PREFIX,
    script:
        "../scripts/inputs_ledger.py"
