/**
 * Proposes a model directory's manifest from a weights file's header alone: which built-in
 * architecture (resnet-mlp, resnet-conv, vit) its tensor names and shapes describe, with the
 * hyper-parameters they imply, or the first tensor that no architecture explains. Plain code over
 * names and shapes: no tensor data is read and no engine is started, so a multi-gigabyte checkpoint
 * is recognised in milliseconds. docs/models.md, "Your own model".
 */
package io.resalign.engine.model.proposal;
