# The comparison for bench/function_image.py: what a first attempt looks like. One stage,
# the base with pip, the context copied in, everything installed, nothing cleaned up.
ARG BASE_IMAGE
FROM ${BASE_IMAGE}
WORKDIR /var/task
COPY . .
RUN python3 -m pip install -r requirements.txt
ENTRYPOINT ["python3", "-m", "awslambdaric"]
CMD ["app.handler"]
