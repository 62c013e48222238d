"""Fine-tuning the problem-segment model on reviewers' labels, and the model versions it makes.

What the GUI and the CLI call:

* `runner.worker_command(db_url, ...)` + `runner.WorkerRun` (or QProcess on the same command
  line with `runner.parse_event`): training in its own process, JSON events on stdout
  (schema in `worker`), cancel with a "cancel" line on stdin.
* `preview.training_preview(engine, settings)`: reviewed labels per category, device, policy.
* `model.registry.promote(engine, version)`, `model.registry.rollback(engine)`,
  `storage.model_versions.list_versions / active_version`.
* `rescore.rescore_unreviewed(engine, settings, cancel)`: a Progress generator, after a
  promotion or a rollback.
* `pipeline.describe_policy(engine, settings)`: which categories the model decides.

The rest: the training set (`dataset`), the loop (`loop`), metrics, one fine-tuning run
(`finetune`), and the default checkpoint's corpus and training (`make_corpus`, `train_default`).
The model itself (network, inputs, windows, inference, checkpoints, versions) is in core/model/.
"""
