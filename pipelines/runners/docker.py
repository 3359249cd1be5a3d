"""The Docker engine runner: pull by digest, no network, read-only inputs, hard limits."""

from __future__ import annotations

import queue
import threading

from django.conf import settings

from . import (
    CONTAINER_PREFIX,
    INPUT_MOUNT,
    OUTPUT_MOUNT,
    RUN_LABEL,
    ContainerSpec,
    Execution,
    ExitStatus,
    LogFunction,
    RunContainer,
    Runner,
    RunnerError,
)

_END = object()


class DockerExecution(Execution):
    def __init__(self, client, container_id: str, start: bool = True) -> None:
        self.client = client
        self.id = container_id
        self.lines: queue.Queue = queue.Queue()
        self.finished = threading.Event()
        if start:
            self.follow()

    def follow(self) -> None:
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        """The engine's log stream blocks; a thread turns it into lines for the run loop."""
        pending = b""
        try:
            for chunk in self.client.logs(self.id, stream=True, follow=True):
                pending += chunk
                *complete, pending = pending.split(b"\n")
                for line in complete:
                    self.lines.put(line.decode("utf-8", "replace"))
        except Exception as error:  # noqa: BLE001 - engine gone: reported by poll()
            self.lines.put(f"(the engine's log stream ended: {error})")
        finally:
            if pending:
                self.lines.put(pending.decode("utf-8", "replace"))
            self.lines.put(_END)

    def read_output(self, timeout: float) -> list[str]:
        result: list[str] = []
        try:
            item = self.lines.get(timeout=timeout)
            while True:
                if item is _END:
                    self.finished.set()
                else:
                    result.append(item)
                item = self.lines.get_nowait()
        except queue.Empty:
            pass
        return result

    def poll(self) -> ExitStatus | None:
        if not self.finished.is_set():
            return None
        try:
            state = self.client.inspect_container(self.id)["State"]
        except Exception as error:  # noqa: BLE001
            raise RunnerError(f"The Docker engine lost the container: {error}") from None
        if state.get("Running"):
            return None
        return ExitStatus(
            code=int(state.get("ExitCode", -1)), oom_killed=bool(state.get("OOMKilled"))
        )

    def stop(self) -> None:
        try:
            self.client.kill(self.id)
        except Exception:  # noqa: BLE001, S110 - already stopped
            pass

    def remove(self) -> None:
        try:
            self.client.remove_container(self.id, force=True)
        except Exception:  # noqa: BLE001, S110 - already gone
            pass


class DockerRunner(Runner):
    name = "docker"

    def __init__(self) -> None:
        import docker

        self._docker = docker
        try:
            self.client = docker.APIClient(base_url=settings.DOCKER_HOST, timeout=120)
            self.client.ping()
        except Exception as error:  # noqa: BLE001 - any failure here means "no engine"
            raise RunnerError(
                f"The Docker engine at {settings.DOCKER_HOST} is not reachable: {error}"
            ) from None

    def pull(self, image: str, log: LogFunction, credentials: tuple[str, str] | None) -> None:
        try:
            self.client.inspect_image(image)
            log(f"Image {image} is already on this worker")
            return
        except Exception:  # noqa: BLE001, S110 - not there yet: pull it
            pass
        auth = {"username": credentials[0], "password": credentials[1]} if credentials else None
        log(f"Pulling {image}")
        seen: set[tuple[str, str]] = set()
        try:
            for chunk in self.client.pull(image, stream=True, decode=True, auth_config=auth):
                if "error" in chunk:
                    raise RunnerError(f"Pulling {image} failed: {chunk['error'].strip()}")
                status = chunk.get("status", "")
                key = (chunk.get("id", ""), status)
                if status and key not in seen and "Download" not in status:
                    seen.add(key)
                    log(f"{chunk['id']}: {status}" if chunk.get("id") else status)
        except RunnerError:
            raise
        except Exception as error:  # noqa: BLE001
            raise RunnerError(f"Pulling {image} failed: {error}") from None

    def start(self, spec: ContainerSpec) -> Execution:
        memory = f"{spec.memory_mb}m"
        host_config = self.client.create_host_config(
            binds={
                str(spec.input_dir): {"bind": INPUT_MOUNT, "mode": "ro"},
                str(spec.output_dir): {"bind": OUTPUT_MOUNT, "mode": "rw"},
            },
            network_mode="none",
            nano_cpus=int(spec.cpus * 1e9),
            mem_limit=memory,
            memswap_limit=memory,  # no swap: the memory limit is the limit
            pids_limit=512,
            cap_drop=["ALL"],
            security_opt=["no-new-privileges"],
            device_requests=(
                [self._docker.types.DeviceRequest(count=-1, capabilities=[["gpu"]])]
                if spec.gpus
                else None
            ),
        )
        try:
            container = self.client.create_container(
                spec.image,
                command=spec.arguments,
                name=spec.name,
                labels=spec.labels,
                host_config=host_config,
                environment={"PYTHONUNBUFFERED": "1"},
            )
        except Exception as error:  # noqa: BLE001
            try:  # the engine may have made it before the call failed (a timeout): no orphan
                self.client.remove_container(spec.name, force=True)
            except Exception:  # noqa: BLE001, S110
                pass
            raise RunnerError(
                f"The Docker engine could not create the container: {error}"
            ) from None
        execution = DockerExecution(self.client, container["Id"], start=False)
        try:
            self.client.start(container["Id"])
        except Exception as error:  # noqa: BLE001
            execution.remove()
            raise RunnerError(f"The Docker engine could not start the container: {error}") from None
        execution.follow()
        return execution

    def run_containers(self) -> list[RunContainer]:
        try:
            listed = self.client.containers(all=True, filters={"label": RUN_LABEL})
        except Exception as error:  # noqa: BLE001
            raise RunnerError(f"The Docker engine did not list its containers: {error}") from None
        found = []
        for container in listed:
            names = [name.lstrip("/") for name in container.get("Names") or []]
            name = next((n for n in names if n.startswith(CONTAINER_PREFIX)), None)
            if name is not None:
                found.append(RunContainer(container["Id"], name, float(container["Created"])))
        return found

    def remove_container(self, container_id: str) -> None:
        DockerExecution(self.client, container_id, start=False).remove()
