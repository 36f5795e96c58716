"""`python -m audita.bench --corpus ...` (works before the command is registered in the main CLI)."""

from audita.bench.cli import bench_command

if __name__ == "__main__":
    bench_command()
