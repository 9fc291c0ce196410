# The example's figures.


rule plot_components:
    input:
        components=rules.decompose.output.components,
    output:
        report(
            "results/figures/components.png",
            category="Decomposition",
            caption="../report/components.rst",
        ),
    log:
        "results/logs/plot_components.log",
    benchmark:
        "results/benchmarks/plot_components.tsv"
    conda:
        ENV
    threads: 1
    resources:
        mem_mb=memory(1500),
        runtime=10,
    params:
        method=config["decomposition"]["method"],
        dpi=config["figures"]["dpi"],
    script:
        "../scripts/plot_components.py"


# The regions as an atlas, each network beside its regions (learned regions),
# the interactive view: all drawn from the regions (which change whenever the
# components do).
rule plot_regions:
    input:
        components=[] if APPLIED else rules.decompose.output.components,
        regions=REGIONS.regions,
        table=REGIONS.table,
    output:
        atlas=report(
            "results/figures/regions.png",
            category="Regions",
            caption="../report/regions.rst",
        ),
        networks=[
            report(
                f"results/figures/network-{component}.png",
                category="Per network",
                caption="../report/network.rst",
                labels={"figure": f"network {component}"},
            )
            for component in COMPONENTS
        ],
        html=report(
            "results/figures/regions.html",
            category="Regions",
            caption="../report/regions_html.rst",
            labels={"figure": "interactive regions"},
        ),
    log:
        "results/logs/plot_regions.log",
    benchmark:
        "results/benchmarks/plot_regions.tsv"
    conda:
        ENV
    threads: 1
    resources:
        mem_mb=memory(1500),
        runtime=20,
    params:
        n_components=None if APPLIED else config["decomposition"]["n_components"],
        dpi=config["figures"]["dpi"],
    script:
        "../scripts/plot_regions.py"


# The group matrix of each kind other than the correlation (whose matrix is
# drawn with the connectome).
rule plot_matrix:
    input:
        relmat="results/group/meas-{kind}_relmat.tsv",
    output:
        report(
            "results/figures/matrix_meas-{kind}.png",
            category="Connectivity",
            caption="../report/matrix.rst",
        ),
    log:
        "results/logs/plot_matrix/matrix_meas-{kind}.log",
    benchmark:
        "results/benchmarks/plot_matrix/matrix_meas-{kind}.tsv"
    conda:
        ENV
    threads: 1
    resources:
        mem_mb=memory(1000),
        runtime=10,
    params:
        kind=kind_of,
        dpi=config["figures"]["dpi"],
    script:
        "../scripts/plot_matrix.py"


# The mean correlation connectome: matrix, glass brain and 3D view.
rule plot_connectome:
    input:
        relmat="results/group/meas-correlation_relmat.tsv",
        table=REGIONS.table,
    output:
        matrix=report(
            "results/figures/matrix.png",
            category="Connectivity",
            caption="../report/matrix.rst",
        ),
        figure=report(
            "results/figures/connectome.png",
            category="Connectivity",
            caption="../report/connectome.rst",
        ),
        html=report(
            "results/figures/connectome.html",
            category="Connectivity",
            caption="../report/connectome_html.rst",
            labels={"figure": "interactive connectome"},
        ),
    log:
        "results/logs/plot_connectome.log",
    benchmark:
        "results/benchmarks/plot_connectome.tsv"
    conda:
        ENV
    threads: 1
    resources:
        mem_mb=memory(1500),
        runtime=10,
    params:
        edge_threshold=config["figures"]["edge_threshold"],
        dpi=config["figures"]["dpi"],
    script:
        "../scripts/plot_connectome.py"


# Each subject's motion and matrix, the group's spread, and QC-FC (Power 2012,
# Ciric 2017, Parkes 2018: across subjects, each edge's correlation with mean
# framewise displacement, and its dependence on distance) with its numbers.
rule plot_quality:
    input:
        confounds=group_confounds,
        relmats=every_run(f"{RELMAT}.tsv", kind="correlation"),
        sidecars=every_run(f"{RELMAT}.json", kind="correlation"),
        group="results/group/meas-correlation_relmat.tsv",
        qcfc_table=rules.qcfc.output.table,
        qcfc_summary=rules.qcfc.output.summary,
    output:
        qcfc=report(
            "results/figures/qcfc.png",
            category="Quality",
            subcategory="Group",
            caption="../report/qcfc.rst",
            labels={"figure": "QC-FC"},
        ),
        # One figure per run, in a folder: as files of their own, every
        # run's figure asked of a job that reads every run's files would make
        # planning quadratic in the runs.
        runs=report(
            directory(QUALITY_FIGURES),
            patterns=["{name}_quality.png"],
            category="Quality",
            subcategory="Subjects",
            caption="../report/quality_subject.rst",
            labels={"run": "{name}"},
        ),
        group=report(
            "results/figures/quality_group.png",
            category="Quality",
            subcategory="Group",
            caption="../report/quality_group.rst",
            labels={"figure": "group"},
        ),
    log:
        "results/logs/plot_quality.log",
    benchmark:
        "results/benchmarks/plot_quality.tsv"
    conda:
        ENV
    threads: 1
    resources:
        mem_mb=memory(1500),
        runtime=20,
    params:
        subjects=group_subjects,
        figures=quality_figures,
        dpi=config["figures"]["dpi"],
    script:
        "../scripts/plot_quality.py"
