/**
 * The chart's values schema (charts/sidecar-injector/values.schema.json, which Helm reads; a unit
 * test keeps the two equal). `manifests` checks the values it renders against it, so a values file
 * Helm refuses is refused here too instead of rendering an installation that cannot run.
 */
export const VALUES_SCHEMA: Record<string, unknown> = {
  "$schema": "http://json-schema.org/draft-07/schema#",
  "title": "sidecar-injector chart values",
  "type": "object",
  "additionalProperties": false,
  "required": [
    "image",
    "replicaCount",
    "podDisruptionBudget",
    "server",
    "service",
    "webhook",
    "certificates",
    "config"
  ],
  "definitions": {
    "port": {
      "type": "integer",
      "minimum": 1,
      "maximum": 65535
    },
    "dnsLabel": {
      "type": "string",
      "pattern": "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$",
      "maxLength": 63
    },
    "stringMap": {
      "type": "object",
      "additionalProperties": {
        "type": "string"
      }
    },
    "dnsSubdomain": {
      "type": "string",
      "pattern": "^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$",
      "maxLength": 253
    },
    "labelKey": {
      "type": "string",
      "pattern": "^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$",
      "maxLength": 317
    },
    "labelValue": {
      "type": "string",
      "pattern": "^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$"
    }
  },
  "properties": {
    "fullnameOverride": {
      "anyOf": [
        {
          "const": ""
        },
        {
          "$ref": "#/definitions/dnsLabel"
        }
      ]
    },
    "image": {
      "type": "object",
      "additionalProperties": false,
      "required": [
        "repository",
        "tag",
        "pullPolicy"
      ],
      "properties": {
        "repository": {
          "type": "string",
          "minLength": 1
        },
        "tag": {
          "type": "string",
          "minLength": 1
        },
        "pullPolicy": {
          "enum": [
            "Always",
            "IfNotPresent",
            "Never"
          ]
        }
      }
    },
    "imagePullSecrets": {
      "type": "array",
      "items": {
        "type": "object",
        "required": [
          "name"
        ],
        "properties": {
          "name": {
            "type": "string"
          }
        }
      }
    },
    "replicaCount": {
      "type": "integer",
      "minimum": 1
    },
    "podDisruptionBudget": {
      "type": "object",
      "additionalProperties": false,
      "properties": {
        "minAvailable": {
          "type": "integer",
          "minimum": 0
        }
      },
      "required": [
        "minAvailable"
      ]
    },
    "resources": {
      "type": "object",
      "additionalProperties": false,
      "properties": {
        "requests": {
          "$ref": "#/definitions/stringMap"
        },
        "limits": {
          "$ref": "#/definitions/stringMap"
        }
      }
    },
    "nodeSelector": {
      "$ref": "#/definitions/stringMap"
    },
    "tolerations": {
      "type": "array",
      "items": {
        "type": "object"
      }
    },
    "server": {
      "type": "object",
      "additionalProperties": false,
      "required": [
        "port",
        "monitoringPort",
        "logLevel",
        "onInternalError",
        "reviewBudgetShare",
        "reviewWatchdogBytes",
        "shutdownGraceSeconds"
      ],
      "properties": {
        "port": {
          "$ref": "#/definitions/port"
        },
        "monitoringPort": {
          "$ref": "#/definitions/port"
        },
        "logLevel": {
          "enum": [
            "fatal",
            "error",
            "warn",
            "info",
            "debug",
            "trace",
            "silent"
          ]
        },
        "onInternalError": {
          "enum": [
            "allow",
            "deny"
          ]
        },
        "reviewBudgetShare": {
          "type": "number",
          "exclusiveMinimum": 0,
          "maximum": 1
        },
        "reviewWatchdogBytes": {
          "type": "integer",
          "minimum": 0,
          "maximum": 1073741824
        },
        "shutdownGraceSeconds": {
          "type": "integer",
          "minimum": 0,
          "maximum": 3600
        }
      }
    },
    "service": {
      "type": "object",
      "additionalProperties": false,
      "required": [
        "port"
      ],
      "properties": {
        "port": {
          "$ref": "#/definitions/port"
        },
        "externalName": {
          "anyOf": [
            {
              "const": ""
            },
            {
              "$ref": "#/definitions/dnsSubdomain"
            }
          ]
        }
      }
    },
    "webhook": {
      "type": "object",
      "additionalProperties": false,
      "required": [
        "name",
        "failurePolicy",
        "timeoutSeconds",
        "reinvocationPolicy",
        "namespaceLabel"
      ],
      "properties": {
        "name": {
          "type": "string",
          "pattern": "^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?){2,}$"
        },
        "failurePolicy": {
          "enum": [
            "Fail",
            "Ignore"
          ]
        },
        "timeoutSeconds": {
          "type": "integer",
          "minimum": 1,
          "maximum": 30
        },
        "reinvocationPolicy": {
          "enum": [
            "Never",
            "IfNeeded"
          ]
        },
        "namespaceLabel": {
          "type": "object",
          "additionalProperties": false,
          "required": [
            "key",
            "value"
          ],
          "properties": {
            "key": {
              "$ref": "#/definitions/labelKey"
            },
            "value": {
              "$ref": "#/definitions/labelValue"
            }
          }
        },
        "excludedNamespaces": {
          "type": "array",
          "items": {
            "$ref": "#/definitions/dnsLabel"
          }
        }
      }
    },
    "certificates": {
      "type": "object",
      "additionalProperties": false,
      "required": [
        "mode"
      ],
      "properties": {
        "mode": {
          "enum": [
            "secret",
            "cert-manager",
            "server"
          ]
        },
        "secretName": {
          "type": "string"
        },
        "caBundle": {
          "type": "string",
          "pattern": "^[A-Za-z0-9+/]*={0,2}$"
        },
        "certManager": {
          "type": "object",
          "additionalProperties": false,
          "properties": {
            "issuerRef": {
              "type": "object",
              "additionalProperties": false,
              "properties": {
                "name": {
                  "type": "string"
                },
                "kind": {
                  "type": "string"
                },
                "group": {
                  "type": "string"
                }
              }
            },
            "duration": {
              "type": "string"
            },
            "renewBefore": {
              "type": "string"
            }
          }
        }
      }
    },
    "config": {
      "type": "object",
      "additionalProperties": false,
      "properties": {
        "values": {
          "type": "object"
        },
        "config": {
          "type": "object"
        },
        "mesh": {
          "type": "object"
        }
      }
    },
    "global": {
      "type": "object",
      "description": "Helm adds it for subcharts; unused"
    }
  }
};
