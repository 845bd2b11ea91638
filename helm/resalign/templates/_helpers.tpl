{{/* Chart name, truncated to the 63 characters of a DNS label. */}}
{{- define "resalign.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Full name: release-chart, or the release name alone when it already contains the chart name. */}}
{{- define "resalign.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "resalign.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Labels of every resource. */}}
{{- define "resalign.labels" -}}
helm.sh/chart: {{ include "resalign.chart" . }}
{{ include "resalign.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: resalign
{{- end }}

{{/* Labels that select the pods: never change them in an upgrade (a Deployment's selector is immutable). */}}
{{- define "resalign.selectorLabels" -}}
app.kubernetes.io/name: {{ include "resalign.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "resalign.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "resalign.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/*
The resalign image: repository@digest, or repository:tag with the chart's appVersion as the default tag and the
CUDA suffix when gpu.enabled. "latest" is refused: a moving tag makes replicas run different code.
*/}}
{{- define "resalign.image" -}}
{{- $tag := default .Chart.AppVersion .Values.image.tag | toString }}
{{- if eq $tag "latest" }}
{{- fail "image.tag: \"latest\" is not allowed; pin a version (or image.digest)" }}
{{- end }}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else if .Values.gpu.enabled }}
{{- printf "%s:%s%s" .Values.image.repository $tag .Values.gpu.tagSuffix }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository $tag }}
{{- end }}
{{- end }}

{{/* The models image of the init container (models.image). */}}
{{- define "resalign.modelsImage" -}}
{{- $tag := required "models.image.tag: pin the models image's tag" .Values.models.image.tag | toString }}
{{- if eq $tag "latest" }}
{{- fail "models.image.tag: \"latest\" is not allowed; pin a version" }}
{{- end }}
{{- printf "%s:%s" .Values.models.image.repository $tag }}
{{- end }}
