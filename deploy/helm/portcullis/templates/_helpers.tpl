{{/* Chart name, overridable. */}}
{{- define "portcullis.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Release-scoped base name; components append "-control-plane", "-gateway", "-dashboard". */}}
{{- define "portcullis.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 40 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 40 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 40 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/* Name of one component's objects. Usage: include "portcullis.componentName" (dict "ctx" $ "component" "gateway") */}}
{{- define "portcullis.componentName" -}}
{{- printf "%s-%s" (include "portcullis.fullname" .ctx) .component }}
{{- end }}

{{/* Selector labels of one component (immutable once deployed). */}}
{{- define "portcullis.selectorLabels" -}}
app.kubernetes.io/name: {{ include "portcullis.name" .ctx }}
app.kubernetes.io/instance: {{ .ctx.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{/* Full labels of one component. */}}
{{- define "portcullis.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .ctx.Chart.Name .ctx.Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "portcullis.selectorLabels" . }}
app.kubernetes.io/version: {{ .ctx.Chart.AppVersion | quote }}
app.kubernetes.io/part-of: portcullis
app.kubernetes.io/managed-by: {{ .ctx.Release.Service }}
{{- end }}

{{/* Image reference. Usage: include "portcullis.image" (dict "ctx" $ "image" .Values.gateway.image) */}}
{{- define "portcullis.image" -}}
{{- printf "%s:%s" .image.repository (default .ctx.Chart.AppVersion .ctx.Values.image.tag) }}
{{- end }}

{{/* The user-provided Secret; rendering fails without it. */}}
{{- define "portcullis.secretName" -}}
{{- required "existingSecret is required: create a Secret with DATABASE_URL, PORTCULLIS_MASTER_KEY and GATEWAY_TOKEN and name it here" .Values.existingSecret }}
{{- end }}

{{/* In-cluster URL of the control plane Service. */}}
{{- define "portcullis.controlPlaneUrl" -}}
{{- printf "http://%s:%v" (include "portcullis.componentName" (dict "ctx" . "component" "control-plane")) .Values.controlPlane.service.port }}
{{- end }}
