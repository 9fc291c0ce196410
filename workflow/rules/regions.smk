# Regions: extracted from the component maps, or applied from a file.


if APPLIED:

    rule apply_regions:
        input:
            regions=APPLIED,
            names=applied_region_names,
            reference=reference_func(),
        output:
            regions="results/group/regions.nii.gz",
            table="results/group/regions.tsv",
        log:
            "results/logs/apply_regions.log",
        benchmark:
            "results/benchmarks/apply_regions.tsv"
        conda:
            ENV
        threads: 1
        resources:
            mem_mb=memory(2000),
            runtime=10,
        script:
            "../scripts/apply_regions.py"

    REGIONS = rules.apply_regions.output

else:

    rule extract_regions:
        input:
            components=rules.decompose.output.components,
        output:
            regions="results/group/regions.nii.gz",
            table="results/group/regions.tsv",
        log:
            "results/logs/extract_regions.log",
        benchmark:
            "results/benchmarks/extract_regions.tsv"
        conda:
            ENV
        threads: 1
        resources:
            mem_mb=memory(2000),
            runtime=10,
        params:
            regions=pick("regions", EXTRACTION_KEYS),
        script:
            "../scripts/extract_regions.py"

    REGIONS = rules.extract_regions.output
