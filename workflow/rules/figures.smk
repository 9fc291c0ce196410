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


rule plot_regions:
    input:
        regions=rules.extract_regions.output.regions,
    output:
        report(
            "results/figures/regions.png",
            category="Regions",
            caption="../report/regions.rst",
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
        runtime=10,
    params:
        n_components=config["decomposition"]["n_components"],
        dpi=config["figures"]["dpi"],
    script:
        "../scripts/plot_regions.py"


rule plot_matrix:
    input:
        relmat=figure_relmat,
    output:
        report(
            "results/figures/matrix{suffix}.png",
            category="Connectivity",
            caption="../report/matrix.rst",
        ),
    log:
        "results/logs/plot_matrix/matrix{suffix}.log",
    benchmark:
        "results/benchmarks/plot_matrix/matrix{suffix}.tsv"
    wildcard_constraints:
        suffix="|_meas-[a-z]+",
    conda:
        ENV
    threads: 1
    resources:
        mem_mb=memory(1000),
        runtime=10,
    params:
        kind=figure_kind,
        dpi=config["figures"]["dpi"],
    script:
        "../scripts/plot_matrix.py"


rule plot_connectome:
    input:
        relmat="results/group/meas-correlation_relmat.tsv",
        table=rules.extract_regions.output.table,
    output:
        report(
            "results/figures/connectome.png",
            category="Connectivity",
            caption="../report/connectome.rst",
        ),
    log:
        "results/logs/plot_connectome.log",
    benchmark:
        "results/benchmarks/plot_connectome.tsv"
    conda:
        ENV
    threads: 1
    resources:
        mem_mb=memory(1000),
        runtime=10,
    params:
        edge_threshold=config["figures"]["edge_threshold"],
        dpi=config["figures"]["dpi"],
    script:
        "../scripts/plot_connectome.py"


rule plot_networks:
    input:
        components=rules.decompose.output.components,
        regions=rules.extract_regions.output.regions,
        table=rules.extract_regions.output.table,
    output:
        figures=[
            report(
                f"results/figures/network-{component}.png",
                category="Per network",
                caption="../report/network.rst",
                labels={"figure": f"network {component}"},
            )
            for component in COMPONENTS
        ],
    log:
        "results/logs/plot_networks.log",
    benchmark:
        "results/benchmarks/plot_networks.tsv"
    conda:
        ENV
    threads: 1
    resources:
        mem_mb=memory(1500),
        runtime=20,
    params:
        dpi=config["figures"]["dpi"],
    script:
        "../scripts/plot_networks.py"


rule plot_quality:
    input:
        confounds=all_confounds,
        relmats=correlation_relmats,
        group="results/group/meas-correlation_relmat.tsv",
    output:
        subjects=[
            report(
                f"results/figures/quality/sub-{subject}_quality.png",
                category="Quality",
                subcategory="Subjects",
                caption="../report/quality_subject.rst",
                labels={"subject": subject},
            )
            for subject in SUBJECTS.index
        ],
        group=report(
            "results/figures/quality/group.png",
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
        subjects=subject_files(),
        dpi=config["figures"]["dpi"],
    script:
        "../scripts/plot_quality.py"


rule plot_interactive:
    input:
        relmat="results/group/meas-correlation_relmat.tsv",
        table=rules.extract_regions.output.table,
        regions=rules.extract_regions.output.regions,
    output:
        connectome=report(
            "results/figures/connectome.html",
            category="Connectivity",
            caption="../report/connectome_html.rst",
            labels={"figure": "interactive connectome"},
        ),
        regions=report(
            "results/figures/regions.html",
            category="Regions",
            caption="../report/regions_html.rst",
            labels={"figure": "interactive regions"},
        ),
    log:
        "results/logs/plot_interactive.log",
    benchmark:
        "results/benchmarks/plot_interactive.tsv"
    conda:
        ENV
    threads: 1
    resources:
        mem_mb=memory(1500),
        runtime=10,
    params:
        edge_threshold=config["figures"]["edge_threshold"],
    script:
        "../scripts/plot_interactive.py"
